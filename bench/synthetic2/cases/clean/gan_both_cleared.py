import torch
import torch.nn as nn


class GANTrainer:
    def __init__(self, G, D, nz=100, device="cuda"):
        self.G, self.D, self.nz, self.device = G, D, nz, device
        self.opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
        self.crit = nn.BCEWithLogitsLoss()

    def step(self, real):
        b = real.size(0)
        fake = self.G(torch.randn(b, self.nz, device=self.device))
        self.opt_d.zero_grad()
        pr, pf = self.D(real), self.D(fake.detach())
        d_loss = self.crit(pr, torch.ones_like(pr)) + self.crit(pf, torch.zeros_like(pf))
        d_loss.backward()
        self.opt_d.step()
        self.opt_g.zero_grad()
        pg = self.D(fake)
        g_loss = self.crit(pg, torch.ones_like(pg))
        g_loss.backward()
        self.opt_g.step()
        return d_loss.item(), g_loss.item()

    def train(self, loader, epochs):
        for epoch in range(epochs):
            for real, _ in loader:
                self.step(real.to(self.device))
