"""Gradient accumulation done right: divide the loss, clear and step every k micro-batches."""
import argparse

import torch
import torch.nn as nn
from torch.utils.data import DataLoader


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--accum", type=int, default=4)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--lr", type=float, default=5e-4)
    return p.parse_args()


def main():
    args = parse_args()
    torch.manual_seed(17)
    dataset = torch.load("tokens_dataset.pt")
    loader = DataLoader(dataset, batch_size=16, shuffle=True)
    model = nn.Sequential(nn.Embedding(32000, 256), nn.Flatten(1), nn.Linear(256 * 64, 2))
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    optimizer.zero_grad()
    for epoch in range(args.epochs):
        for i, (x, y) in enumerate(loader):
            loss = criterion(model(x), y) / args.accum
            loss.backward()
            if (i + 1) % args.accum == 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                optimizer.zero_grad()
        print(f"epoch {epoch} loss {loss.item() * args.accum:.4f}")


if __name__ == "__main__":
    main()
