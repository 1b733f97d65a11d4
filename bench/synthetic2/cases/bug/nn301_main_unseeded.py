import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset, random_split


def build_data(n=2000):
    x = torch.randn(n, 12)  # BUG: NN301
    y = (x[:, 0] > 0).long()
    return TensorDataset(x, y)


def main():
    ds = build_data()
    train_ds, val_ds = random_split(ds, [1800, 200])
    loader = DataLoader(train_ds, batch_size=64, shuffle=True)
    model = nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 2))
    opt = torch.optim.Adam(model.parameters())
    for epoch in range(5):
        for xb, yb in loader:
            opt.zero_grad()
            nn.functional.cross_entropy(model(xb), yb).backward()
            opt.step()


if __name__ == "__main__":
    main()
