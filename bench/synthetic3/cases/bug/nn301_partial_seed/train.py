import argparse

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from models import SmallCNN
from utils import accuracy, set_seed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--epochs", type=int, default=5)
    args = ap.parse_args()
    set_seed(args.seed)
    ds = datasets.MNIST("data", train=True, download=True, transform=transforms.ToTensor())
    loader = DataLoader(ds, batch_size=64, shuffle=True)  # BUG: NN301
    model = SmallCNN()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(args.epochs):
        model.train()
        for x, y in loader:
            opt.zero_grad()
            logits = model(x)
            F.cross_entropy(logits, y).backward()
            opt.step()
        print(epoch, accuracy(logits, y))


if __name__ == "__main__":
    main()
