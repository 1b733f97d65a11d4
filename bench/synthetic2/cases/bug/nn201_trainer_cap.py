import torch
import torch.nn as nn
from torch.utils.data import DataLoader


class Trainer:
    def __init__(self, model, train_ds, lr=1e-3, max_loss=5.0):
        self.model = model
        self.loader = DataLoader(train_ds, batch_size=32, shuffle=True)
        self.optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        self.criterion = nn.SmoothL1Loss()
        self.max_loss = max_loss

    def train_epoch(self):
        self.model.train()
        total = 0.0
        for x, y in self.loader:
            self.optimizer.zero_grad()
            pred = self.model(x)
            loss = self.criterion(pred, y)
            loss = torch.clamp(loss, max=self.max_loss)  # BUG: NN201
            loss.backward()
            self.optimizer.step()
            total += loss.item()
        return total / len(self.loader)

    def fit(self, epochs):
        for epoch in range(epochs):
            print(epoch, self.train_epoch())


if __name__ == "__main__":
    torch.manual_seed(0)
    from torch.utils.data import TensorDataset

    ds = TensorDataset(torch.randn(512, 8), torch.randn(512, 1))
    net = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))
    Trainer(net, ds).fit(10)
