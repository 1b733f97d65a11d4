import argparse
import random

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


def get_args():
    p = argparse.ArgumentParser(description="tabular classifier")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--max-loss", type=float, default=5.0)
    return p.parse_args()


def make_model(in_dim, n_cls):
    return nn.Sequential(nn.Linear(in_dim, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, n_cls))


def main():
    args = get_args()
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    X = torch.from_numpy(np.load("features.npy")).float()
    y = torch.from_numpy(np.load("labels.npy")).long()
    loader = DataLoader(TensorDataset(X, y), batch_size=args.batch_size, shuffle=True)
    model = make_model(X.shape[1], int(y.max()) + 1)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(args.epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = criterion(model(xb), yb)
            loss = torch.clamp(loss, max=args.max_loss)  # BUG: NN201
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: {loss.item():.3f}")


if __name__ == "__main__":
    main()
