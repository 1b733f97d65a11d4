import argparse

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


def get_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--accum", type=int, default=8)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--epochs", type=int, default=5)
    return ap.parse_args()


def main():
    args = get_args()
    torch.manual_seed(0)
    data = TensorDataset(torch.randn(4096, 32), torch.randn(4096, 1))
    loader = DataLoader(data, batch_size=16, shuffle=True)
    model = nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 1))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    mse = nn.MSELoss()
    for epoch in range(args.epochs):
        for i, (x, y) in enumerate(loader):
            loss = mse(model(x), y) / args.accum
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), args.clip)  # BUG: NN202
            if (i + 1) % args.accum == 0:
                opt.step()
                opt.zero_grad()


if __name__ == "__main__":
    main()
