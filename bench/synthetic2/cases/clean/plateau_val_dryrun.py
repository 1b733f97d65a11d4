import argparse

import torch
import torch.nn.functional as F


def validate(model, loader, dry_run=False):
    model.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for i, (x, y) in enumerate(loader):
            total += F.mse_loss(model(x), y, reduction="sum").item()
            n += len(x)
            if dry_run:
                break
    return total / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args()
    torch.manual_seed(3)
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", patience=3)
    train = [(torch.randn(32, 4), torch.randn(32, 1)) for _ in range(10)]
    val = [(torch.randn(32, 4), torch.randn(32, 1)) for _ in range(3)]
    for epoch in range(args.epochs):
        model.train()
        for x, y in train:
            opt.zero_grad()
            F.mse_loss(model(x), y).backward()
            opt.step()
        sched.step(validate(model, val, args.dry_run))


if __name__ == "__main__":
    main()
