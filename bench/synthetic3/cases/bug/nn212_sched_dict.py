import argparse

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


def build_scheduler(name, optimizer, epochs):
    schedulers = {
        "cosine": torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs),
        "exp": torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.95),
    }
    return schedulers[name]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sched", choices=["cosine", "exp"], default="cosine")
    ap.add_argument("--epochs", type=int, default=60)
    args = ap.parse_args()
    torch.manual_seed(0)
    ds = TensorDataset(torch.randn(5000, 10), torch.randn(5000, 1))
    loader = DataLoader(ds, batch_size=50, shuffle=True)
    model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scheduler = build_scheduler(args.sched, optimizer, args.epochs)
    for epoch in range(args.epochs):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            optimizer.step()
            scheduler.step()  # BUG: NN212


if __name__ == "__main__":
    main()
