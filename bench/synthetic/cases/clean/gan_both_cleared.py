import torch
import torch.nn as nn


class WGANGP:
    def __init__(self, G, D, z_dim=128, lr=1e-4, n_critic=5, gp_weight=10.0):
        self.G, self.D, self.z_dim = G, D, z_dim
        self.opt_g = torch.optim.Adam(G.parameters(), lr=lr, betas=(0.0, 0.9))
        self.opt_d = torch.optim.Adam(D.parameters(), lr=lr, betas=(0.0, 0.9))
        self.n_critic = n_critic
        self.gp_weight = gp_weight

    def gradient_penalty(self, real, fake):
        alpha = torch.rand(real.size(0), 1, 1, 1, device=real.device)
        mix = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
        grad = torch.autograd.grad(self.D(mix).sum(), mix, create_graph=True)[0]
        return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()

    def train(self, loader, iters):
        data = iter(loader)
        for it in range(iters):
            for _ in range(self.n_critic):
                try:
                    real, _ = next(data)
                except StopIteration:
                    data = iter(loader)
                    real, _ = next(data)
                z = torch.randn(real.size(0), self.z_dim, device=real.device)
                fake = self.G(z).detach()
                d_loss = self.D(fake).mean() - self.D(real).mean() + self.gp_weight * self.gradient_penalty(real, fake)
                self.opt_d.zero_grad()
                d_loss.backward()
                self.opt_d.step()
            z = torch.randn(real.size(0), self.z_dim, device=real.device)
            g_loss = -self.D(self.G(z)).mean()
            self.opt_g.zero_grad()
            g_loss.backward()
            self.opt_g.step()
            if it % 100 == 0:
                print(it, d_loss.item(), g_loss.item())
