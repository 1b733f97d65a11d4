import argparse

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from models import LSTMThenConv


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--lr", type=float, default=1e-3)
    args = p.parse_args()
    torch.manual_seed(0)
    x = torch.randn(512, 50, 8)
    y = torch.randint(0, 3, (512,))
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    model = LSTMThenConv(8, 64, 3)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    for epoch in range(args.epochs):
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()


if __name__ == "__main__":
    main()
