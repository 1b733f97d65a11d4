"""Tiny hybrid CNN-transformer classifier for CIFAR-10."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class ConvStem(nn.Module):
    def __init__(self, dim=128):
        super().__init__()
        self.conv = nn.Conv2d(3, dim, kernel_size=4, stride=4)
        self.pos = nn.Parameter(torch.zeros(1, 64, dim))

    def forward(self, x):
        x = self.conv(x)
        b, c, h, w = x.shape
        tokens = x.view(b, h * w, c)  # BUG: NN101
        return tokens + self.pos


class HybridNet(nn.Module):
    def __init__(self, dim=128, depth=4, num_classes=10):
        super().__init__()
        self.stem = ConvStem(dim)
        layer = nn.TransformerEncoderLayer(dim, nhead=4, dim_feedforward=dim * 2, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, depth)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.encoder(self.stem(x))
        return self.head(x.mean(dim=1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=3e-4)
    args = parser.parse_args()
    torch.manual_seed(0)

    tf = transforms.Compose([transforms.ToTensor()])
    train_set = datasets.CIFAR10("data", train=True, download=True, transform=tf)
    loader = DataLoader(train_set, batch_size=128, shuffle=True)
    model = HybridNet()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr)
    for epoch in range(args.epochs):
        for images, labels in loader:
            loss = F.cross_entropy(model(images), labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(epoch, loss.item())


if __name__ == "__main__":
    main()
