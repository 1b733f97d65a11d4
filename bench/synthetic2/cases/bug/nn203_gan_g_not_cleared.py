import torch
import torch.nn as nn


def train_gan(G, D, loader, epochs, z_dim=100, device="cuda"):
    criterion = nn.BCEWithLogitsLoss()
    optimizer_G = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optimizer_D = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    for epoch in range(epochs):
        for real, _ in loader:
            real = real.to(device)
            b = real.size(0)
            noise = torch.randn(b, z_dim, 1, 1, device=device)
            fake = G(noise)

            D.zero_grad()
            out_real = D(real).view(-1)
            out_fake = D(fake.detach()).view(-1)
            loss_D = criterion(out_real, torch.ones_like(out_real)) + criterion(out_fake, torch.zeros_like(out_fake))
            loss_D.backward()
            optimizer_D.step()

            out = D(fake).view(-1)
            loss_G = criterion(out, torch.ones_like(out))
            loss_G.backward()
            optimizer_G.step()  # BUG: NN203
