import torch
import torch.nn as nn

torch.manual_seed(0)
Z = 16

models = {
    "G": nn.Sequential(nn.Linear(Z, 64), nn.ReLU(), nn.Linear(64, 2)),
    "D": nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 1)),
}
opts = {k: torch.optim.Adam(m.parameters(), lr=2e-4, betas=(0.5, 0.999)) for k, m in models.items()}
bce = nn.BCEWithLogitsLoss()


def real_batch(n=128):
    theta = torch.rand(n) * 6.283
    return torch.stack([theta.cos(), theta.sin()], dim=1) + 0.05 * torch.randn(n, 2)


for step in range(5000):
    real = real_batch()
    fake = models["G"](torch.randn(real.size(0), Z))

    opts["D"].zero_grad()
    d_real = models["D"](real)
    d_fake = models["D"](fake.detach())
    d_loss = bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))
    d_loss.backward()
    opts["D"].step()

    g_out = models["D"](fake)
    g_loss = bce(g_out, torch.ones_like(g_out))
    g_loss.backward()
    opts["G"].step()  # BUG: NN203
