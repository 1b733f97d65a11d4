import torch
import torch.nn as nn


def train_gan(G, D, loader, epochs, nz=64):
    bce = nn.BCEWithLogitsLoss()
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4)
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4)
    g_losses, d_losses = [], []
    for epoch in range(epochs):
        for real in loader:
            z = torch.randn(real.size(0), nz)
            fake = G(z)
            opt_d.zero_grad()
            pr, pf = D(real), D(fake.detach())
            loss_d = bce(pr, torch.ones_like(pr)) + bce(pf, torch.zeros_like(pf))
            loss_d.backward()
            opt_d.step()
            opt_g.zero_grad()
            pg = D(fake)
            loss_g = bce(pg, torch.ones_like(pg))
            loss_g.backward()
            opt_g.step()
            d_losses.append(loss_d.item())
            g_losses.append(loss_g)  # BUG: NN501
    return g_losses, d_losses
