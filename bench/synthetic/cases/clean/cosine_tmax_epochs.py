import torch
import torch.nn as nn
from torch.optim.lr_scheduler import CosineAnnealingLR


class Config:
    epochs = 50
    lr = 1e-3
    weight_decay = 0.05
    min_lr = 1e-6


def train(model: nn.Module, loader, cfg: Config = Config()):
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler = CosineAnnealingLR(optimizer, T_max=cfg.epochs, eta_min=cfg.min_lr)
    criterion = nn.MSELoss()
    for epoch in range(cfg.epochs):
        model.train()
        epoch_loss = 0.0
        for src, tgt in loader:
            pred = model(src)
            loss = criterion(pred, tgt)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item()
        scheduler.step()
        print(f"{epoch:03d} loss={epoch_loss / len(loader):.5f} lr={optimizer.param_groups[0]['lr']:.2e}")
    return model
