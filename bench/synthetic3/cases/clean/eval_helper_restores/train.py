import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

from utils import evaluate, score_epoch


def main():
    torch.manual_seed(0)
    train_ds = TensorDataset(torch.randn(3000, 16), torch.randint(0, 3, (3000,)))
    val_ds = TensorDataset(torch.randn(500, 16), torch.randint(0, 3, (500,)))
    train_loader = DataLoader(train_ds, batch_size=64, shuffle=True)
    val_loader = DataLoader(val_ds, batch_size=256)
    model = nn.Sequential(nn.Linear(16, 64, bias=False), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.3), nn.Linear(64, 3))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(20):
        model.train()
        for x, y in train_loader:
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
        print(epoch, evaluate(model, val_loader), score_epoch(model, val_loader))


if __name__ == "__main__":
    main()
