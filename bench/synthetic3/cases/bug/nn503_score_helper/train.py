import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

from metrics import score_epoch


def main():
    torch.manual_seed(11)
    ds_train = TensorDataset(torch.randn(4000, 24), torch.randint(0, 2, (4000, 1)).float())
    ds_valid = TensorDataset(torch.randn(800, 24), torch.randint(0, 2, (800, 1)))
    dl_train = DataLoader(ds_train, batch_size=64, shuffle=True)
    dl_valid = DataLoader(ds_valid, batch_size=256)
    net = nn.Sequential(nn.Linear(24, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 1))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    bce = nn.BCEWithLogitsLoss()
    for epoch in range(15):
        net.train()
        for x, y in dl_train:
            opt.zero_grad()
            bce(net(x), y).backward()
            opt.step()
        print(epoch, score_epoch(net, dl_valid))


if __name__ == "__main__":
    main()
