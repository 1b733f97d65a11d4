import torch
import torch.nn as nn
import torch.nn.functional as F


class VAELoss(nn.Module):
    def __init__(self, free_bits=0.5):
        super().__init__()
        self.free_bits = free_bits

    def forward(self, recon, x, mu, logvar):
        rec = F.mse_loss(recon, x, reduction="sum") / x.size(0)
        kl_per_dim = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).mean(0)
        kl = torch.clamp(kl_per_dim, min=self.free_bits).sum()
        return rec + kl, kl.detach()


def train(model, loader, epochs=10):
    crit = VAELoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    best = float("inf")
    for epoch in range(epochs):
        for x in loader:
            recon, mu, logvar = model(x)
            loss, kl = crit(recon, x, mu, logvar)
            opt.zero_grad()
            loss.backward()
            opt.step()
            best = min(best, loss.item())
    return best
