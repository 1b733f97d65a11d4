from collections import defaultdict

import torch
import torch.nn as nn
import torch.nn.functional as F


def train_epoch(model, loader, optimizer, w_aux=0.4):
    model.train()
    running = defaultdict(float)
    history = []
    epoch_loss = 0.0
    for images, labels in loader:
        main_out, aux_out = model(images)
        losses = {
            "main": F.cross_entropy(main_out, labels),
            "aux": w_aux * F.cross_entropy(aux_out, labels),
        }
        total = sum(losses.values())
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        for name, value in losses.items():
            running[name] += value.item()
        history.append(total.detach().cpu())
        epoch_loss += total.item() * images.size(0)
    return {k: v / len(loader) for k, v in running.items()}, torch.stack(history), epoch_loss


class Regressor:
    def __init__(self, model, lr=1e-3):
        self.model = model
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)
        self.crit = nn.HuberLoss()
        self.history = []

    def train_epoch(self, loader):
        self.model.train()
        for x, y in loader:
            self.opt.zero_grad()
            loss = self.crit(self.model(x), y)
            loss.backward()
            self.opt.step()
            self.history.append(loss.item())
