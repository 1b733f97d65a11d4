"""DCGAN-style training on 64x64 images."""
import torch
import torch.nn as nn


def train_gan(netG, netD, loader, nz=100, epochs=25, device="cuda"):
    criterion = nn.BCEWithLogitsLoss()
    optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    fixed_noise = torch.randn(64, nz, 1, 1, device=device)
    for epoch in range(epochs):
        for i, (real, _) in enumerate(loader):
            real = real.to(device)
            b = real.size(0)
            ones = torch.ones(b, device=device)
            zeros = torch.zeros(b, device=device)

            # discriminator: real vs fake
            netD.zero_grad()
            errD_real = criterion(netD(real).view(-1), ones)
            noise = torch.randn(b, nz, 1, 1, device=device)
            fake = netG(noise)
            errD_fake = criterion(netD(fake.detach()).view(-1), zeros)
            errD = errD_real + errD_fake
            errD.backward()
            optD.step()

            # generator: fool the discriminator
            errG = criterion(netD(fake).view(-1), ones)
            errG.backward()
            optG.step()  # BUG: NN203

            if i % 50 == 0:
                print(f"[{epoch}/{epochs}][{i}] D={errD.item():.3f} G={errG.item():.3f}")
        with torch.no_grad():
            samples = netG(fixed_noise).cpu()
        torch.save(samples, f"samples_{epoch}.pt")
