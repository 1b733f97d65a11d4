"""Reproducible baseline: seeds python, numpy and torch before anything random."""
import os
import random

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, random_split


def seed_all(seed: int = 2024) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)


def main():
    seed_all()
    full = torch.load("dataset.pt")
    n_val = len(full) // 10
    train_set, val_set = random_split(full, [len(full) - n_val, n_val])
    train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
    model = nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Dropout(0.1), nn.Linear(128, 4))
    nn.init.kaiming_normal_(model[0].weight)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    augment_p = 0.1
    for epoch in range(20):
        model.train()
        for x, y in train_loader:
            if random.random() < augment_p:
                x = x + 0.01 * torch.randn_like(x)
            loss = loss_fn(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            correct = sum((model(x).argmax(1) == y).sum().item() for x, y in DataLoader(val_set, batch_size=256))
        print(epoch, correct / len(val_set), np.round(loss.item(), 4))


if __name__ == "__main__":
    main()
