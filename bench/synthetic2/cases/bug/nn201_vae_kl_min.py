import torch
import torch.nn as nn
import torch.nn.functional as F


class VAE(nn.Module):
    def __init__(self, d=784, z=16):
        super().__init__()
        self.enc = nn.Linear(d, 2 * z)
        self.dec = nn.Linear(z, d)

    def forward(self, x):
        mu, logvar = self.enc(x).chunk(2, dim=-1)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        return self.dec(z), mu, logvar


def vae_loss(recon, x, mu, logvar, kl_cap):
    rec = F.binary_cross_entropy_with_logits(recon, x, reduction="sum") / x.size(0)
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / x.size(0)
    kl = torch.min(kl, torch.tensor(kl_cap))  # BUG: NN201
    return rec + kl


def main():
    torch.manual_seed(0)
    model = VAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x_all = torch.rand(1024, 784)
    for epoch in range(20):
        for i in range(0, 1024, 64):
            x = x_all[i:i + 64]
            recon, mu, logvar = model(x)
            loss = vae_loss(recon, x, mu, logvar, kl_cap=50.0)
            opt.zero_grad()
            loss.backward()
            opt.step()


if __name__ == "__main__":
    main()
