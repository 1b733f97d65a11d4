#!/usr/bin/env python
"""Train a denoising autoencoder on MNIST digits."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


class DAE(nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, hidden))
        self.decoder = nn.Sequential(nn.Linear(hidden, 256), nn.ReLU(), nn.Linear(256, 784), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


def train(noise_std=0.3, epochs=15):
    ds = datasets.MNIST("./data", train=True, download=True, transform=transforms.ToTensor())
    loader = DataLoader(ds, batch_size=128, shuffle=True)  # BUG: NN301
    model = DAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    mse = nn.MSELoss()
    for epoch in range(epochs):
        for img, _ in loader:
            clean = img.view(img.size(0), -1)
            noisy = (clean + noise_std * torch.randn_like(clean)).clamp(0, 1)
            loss = mse(model(noisy), clean)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: {loss.item():.4f}")
    torch.save(model.state_dict(), "dae.pt")


if __name__ == "__main__":
    train()
