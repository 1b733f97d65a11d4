"""Speaker-ID model: log-softmax head trained with NLLLoss."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


class XVector(nn.Module):
    def __init__(self, n_mels=40, n_speakers=1211):
        super().__init__()
        self.tdnn = nn.Sequential(
            nn.Conv1d(n_mels, 512, 5, dilation=1, bias=False),
            nn.BatchNorm1d(512),
            nn.ReLU(),
            nn.Conv1d(512, 512, 3, dilation=2, bias=False),
            nn.BatchNorm1d(512),
            nn.ReLU(),
        )
        self.embed = nn.Linear(1024, 256)
        self.out = nn.Linear(256, n_speakers)

    def forward(self, feats):
        h = self.tdnn(feats)
        stats = torch.cat([h.mean(dim=2), h.std(dim=2)], dim=1)
        return F.log_softmax(self.out(F.relu(self.embed(stats))), dim=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=10)
    args = ap.parse_args()
    torch.manual_seed(0)
    train_set = torch.load("voxceleb_feats.pt")
    loader = DataLoader(train_set, batch_size=64, shuffle=True, drop_last=True)
    model = XVector()
    criterion = nn.NLLLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(args.epochs):
        for feats, spk in loader:
            log_probs = model(feats)
            loss = criterion(log_probs, spk)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"epoch {epoch} nll {loss.item():.3f}")


if __name__ == "__main__":
    main()
