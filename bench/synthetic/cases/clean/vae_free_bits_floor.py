import torch
import torch.nn as nn
import torch.nn.functional as F


class Encoder(nn.Module):
    def __init__(self, x_dim, z_dim):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(x_dim, 512), nn.ReLU(), nn.Linear(512, 2 * z_dim))

    def forward(self, x):
        mu, logvar = self.net(x).chunk(2, dim=-1)
        return mu, logvar


def train_vae(encoder, decoder, loader, epochs=20, free_nats=0.5, log_cap=1e4):
    params = list(encoder.parameters()) + list(decoder.parameters())
    opt = torch.optim.Adam(params, lr=1e-3)
    best = float("inf")
    for epoch in range(epochs):
        for x, _ in loader:
            x = x.flatten(1)
            mu, logvar = encoder(x)
            z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
            rec = F.binary_cross_entropy_with_logits(decoder(z), x, reduction="sum") / x.size(0)
            kl_per_dim = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).mean(0)
            kl = torch.clamp(kl_per_dim, min=free_nats).sum()
            loss = rec + kl
            opt.zero_grad()
            loss.backward()
            opt.step()
            best = min(best, loss.item())
        shown = min(loss.item(), log_cap)
        print(f"epoch {epoch} loss {shown:.2f} best {best:.2f}")
