"""Conditional VAE trainer: reconstruction + KL."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class VAE(nn.Module):
    def __init__(self, x_dim=784, z_dim=20, h_dim=400):
        super().__init__()
        self.enc = nn.Linear(x_dim, h_dim)
        self.mu = nn.Linear(h_dim, z_dim)
        self.logvar = nn.Linear(h_dim, z_dim)
        self.dec1 = nn.Linear(z_dim, h_dim)
        self.dec2 = nn.Linear(h_dim, x_dim)

    def forward(self, x):
        h = F.relu(self.enc(x))
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.dec2(F.relu(self.dec1(z)))), mu, logvar


class Trainer:
    def __init__(self, model, lr=1e-3, kl_cap=50.0):
        self.model = model
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)
        self.kl_cap = kl_cap

    def train_step(self, x):
        recon, mu, logvar = self.model(x)
        rec = F.binary_cross_entropy(recon, x, reduction="sum") / x.size(0)
        kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / x.size(0)
        kl = kl.clamp(max=self.kl_cap)  # BUG: NN201
        loss = rec + kl
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return {"rec": rec.item(), "kl": kl.item()}

    def fit(self, loader, epochs):
        for epoch in range(epochs):
            for x, _ in loader:
                stats = self.train_step(x.view(x.size(0), -1))
            print(epoch, stats)
