import torch
import torch.nn as nn
import torch.nn.functional as F


class VAE(nn.Module):
    def __init__(self, d_in=784, z=16):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(d_in, 256), nn.ReLU(), nn.Linear(256, 2 * z))
        self.dec = nn.Sequential(nn.Linear(z, 256), nn.ReLU(), nn.Linear(256, d_in))

    def forward(self, x):
        mu, logvar = self.enc(x).chunk(2, dim=-1)
        logvar = torch.clamp(logvar, -10.0, 10.0)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        return self.dec(z), mu, logvar


def vae_loss(recon_logits, x, mu, logvar, free_bits=0.5):
    rec = F.binary_cross_entropy_with_logits(recon_logits, x, reduction="sum") / x.size(0)
    kl_per_dim = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).mean(0)
    kl = torch.clamp(kl_per_dim, min=free_bits).sum()
    return rec + kl, {"rec": rec.item(), "kl": kl.item()}


def train(model, loader, epochs=10):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(epochs):
        model.train()
        for x, _ in loader:
            x = x.view(x.size(0), -1)
            recon, mu, logvar = model(x)
            loss, logs = vae_loss(recon, x, mu, logvar)
            opt.zero_grad()
            loss.backward()
            opt.step()
        shown = min(logs["rec"], 1e4)
        print(f"epoch {epoch} rec {shown:.2f} kl {logs['kl']:.2f}")
