import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

from evaluation import evaluate


def main():
    torch.manual_seed(5)
    tr = TensorDataset(torch.randn(10000, 30), torch.randint(0, 10, (10000,)))
    va = TensorDataset(torch.randn(5000, 30), torch.randint(0, 10, (5000,)))
    train_loader = DataLoader(tr, batch_size=100, shuffle=True)
    val_loader = DataLoader(va, batch_size=100)
    net = nn.Sequential(nn.Linear(30, 100), nn.ReLU(), nn.Linear(100, 10))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    for epoch in range(10):
        net.train()
        for x, y in train_loader:
            opt.zero_grad()
            nn.functional.cross_entropy(net(x), y).backward()
            opt.step()
        print(f"epoch {epoch}: val acc {evaluate(net, val_loader):.3f}")


if __name__ == "__main__":
    main()
