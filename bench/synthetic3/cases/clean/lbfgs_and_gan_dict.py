import math

import torch
import torch.nn as nn

torch.manual_seed(0)

xs = torch.linspace(-math.pi, math.pi, 400).unsqueeze(1)
ys = torch.sin(3 * xs)
mlp = nn.Sequential(nn.Linear(1, 50), nn.Tanh(), nn.Linear(50, 1))
lbfgs = torch.optim.LBFGS(mlp.parameters(), lr=0.5, max_iter=20)


def closure():
    lbfgs.zero_grad()
    loss = nn.functional.mse_loss(mlp(xs), ys)
    loss.backward()
    return loss


for it in range(20):
    lbfgs.step(closure)

Z = 8
models = {
    "G": nn.Sequential(nn.Linear(Z, 32), nn.ReLU(), nn.Linear(32, 2)),
    "D": nn.Sequential(nn.Linear(2, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1)),
}
opts = {k: torch.optim.Adam(m.parameters(), lr=2e-4, betas=(0.5, 0.999)) for k, m in models.items()}
bce = nn.BCEWithLogitsLoss()
for step in range(1000):
    real = torch.randn(64, 2) * 0.1 + 1.0
    fake = models["G"](torch.randn(64, Z))
    opts["D"].zero_grad()
    d_real, d_fake = models["D"](real), models["D"](fake.detach())
    (bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))).backward()
    opts["D"].step()
    opts["G"].zero_grad()
    g_out = models["D"](fake)
    bce(g_out, torch.ones_like(g_out)).backward()
    opts["G"].step()
