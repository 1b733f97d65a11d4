import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

from engine import Engine


def main():
    torch.manual_seed(42)
    ds = TensorDataset(torch.randn(2000, 20), torch.randint(0, 4, (2000,)))
    loader = DataLoader(ds, batch_size=64, shuffle=True)
    net = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 4))
    engine = Engine(net)
    for epoch in range(10):
        print(epoch, engine.train_epoch(loader))


if __name__ == "__main__":
    main()
