import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


def train(model, dataset, epochs=5, lr=0.01):
    loader = DataLoader(dataset, batch_size=64, shuffle=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for epoch in range(epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            optimizer.step()  # BUG: NN205
            pred = model(xb)
            loss = F.nll_loss(F.log_softmax(pred, dim=1), yb)
            loss.backward()
    return model


if __name__ == "__main__":
    torch.manual_seed(0)
    ds = TensorDataset(torch.randn(256, 10), torch.randint(0, 4, (256,)))
    train(torch.nn.Linear(10, 4), ds)
