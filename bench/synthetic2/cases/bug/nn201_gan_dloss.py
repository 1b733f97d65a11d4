import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1)
z_dim = 64
G = nn.Sequential(nn.Linear(z_dim, 256), nn.ReLU(), nn.Linear(256, 784), nn.Tanh())
D = nn.Sequential(nn.Linear(784, 256), nn.LeakyReLU(0.2), nn.Linear(256, 1))
opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
data = torch.rand(6400, 784) * 2 - 1

for step in range(2000):
    real = data[torch.randint(0, len(data), (64,))]
    fake = G(torch.randn(64, z_dim))
    d_real = D(real)
    d_fake = D(fake.detach())
    d_loss = F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real)) + \
        F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake))
    d_loss = d_loss.clamp(0.0, 2.0)  # BUG: NN201
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()

    g_out = D(fake)
    g_loss = F.binary_cross_entropy_with_logits(g_out, torch.ones_like(g_out))
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
