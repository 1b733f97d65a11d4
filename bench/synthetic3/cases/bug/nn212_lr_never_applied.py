import math

import torch
import torch.nn.functional as F


def cosine_lr(step, warmup, total, peak):
    if step < warmup:
        return peak * step / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * peak * (1 + math.cos(math.pi * progress))


def train(model, loader, cfg):
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.1)
    total = cfg.epochs * len(loader)
    step = 0
    for epoch in range(cfg.epochs):
        model.train()
        for x, y in loader:
            lr = cosine_lr(step, cfg.warmup, total, cfg.lr)  # BUG: NN212
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            step += 1
            if step % 100 == 0:
                print(f"step {step} lr {lr:.2e} loss {loss.item():.3f}")
