"""Fine-tune a frozen-backbone classifier on extracted features."""
import argparse

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


def run(args):
    torch.manual_seed(args.seed)
    feats = torch.load(args.features)
    ds = TensorDataset(feats["x"], feats["y"])
    dl = DataLoader(ds, batch_size=args.bs, shuffle=True)
    probe = nn.Linear(feats["x"].shape[1], int(feats["y"].max()) + 1)
    optim = torch.optim.SGD(probe.parameters(), lr=args.lr, momentum=0.9)
    ce = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        for xb, yb in dl:
            logits = probe(xb)
            loss = ce(logits, yb)
            loss.backward()
            optim.step()  # BUG: NN203
    torch.save(probe.state_dict(), args.out)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--features", default="feats.pt")
    ap.add_argument("--bs", type=int, default=256)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="probe.pt")
    run(ap.parse_args())
