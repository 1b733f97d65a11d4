"""fast.ai-style one-cycle training, scheduler stepped every batch."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.lr_scheduler import OneCycleLR


def fit_one_cycle(model, train_dl, epochs=8, max_lr=1e-2, wd=1e-4, grad_clip=0.1):
    optimizer = torch.optim.Adam(model.parameters(), lr=max_lr, weight_decay=wd)
    sched = OneCycleLR(optimizer, max_lr, epochs=epochs, steps_per_epoch=len(train_dl))
    lrs = []
    for epoch in range(epochs):
        model.train()
        for images, labels in train_dl:
            loss = F.cross_entropy(model(images), labels)
            loss.backward()
            nn.utils.clip_grad_value_(model.parameters(), grad_clip)
            optimizer.step()
            optimizer.zero_grad()
            lrs.append(optimizer.param_groups[0]["lr"])
            sched.step()
        print(f"epoch {epoch} last lr {lrs[-1]:.5f} loss {loss.item():.4f}")
    return lrs
