import math

import torch
from torch.optim.lr_scheduler import LambdaLR, MultiStepLR, OneCycleLR


def make_warmup(n_warmup_steps):
    def factor(step):
        return min(1.0, (step + 1) / n_warmup_steps)

    return factor


def build_scheduler(name, optimizer, epochs):
    schedulers = {
        "cosine": torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs),
        "multistep": MultiStepLR(optimizer, milestones=[int(0.5 * epochs), int(0.75 * epochs)]),
    }
    return schedulers[name]


def train_warmup(model, loader, epochs, lr=5e-4, warmup_steps=2000):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = LambdaLR(optimizer, make_warmup(warmup_steps))
    for epoch in range(epochs):
        model.train()
        for src, tgt in loader:
            optimizer.zero_grad()
            loss = model(src, tgt)
            loss.backward()
            optimizer.step()
            scheduler.step()


def train_epochwise(model, loader, epochs, sched_name="cosine"):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = build_scheduler(sched_name, optimizer, epochs)
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        scheduler.step()


def train_onecycle(model, loader, epochs, max_lr=3e-3):
    opt = torch.optim.AdamW(model.parameters(), lr=max_lr / 25)
    sched = OneCycleLR(opt, max_lr=max_lr, total_steps=epochs * len(loader))
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
            sched.step()


def cosine_lr(step, warmup, total, peak):
    if step < warmup:
        return peak * step / warmup
    return 0.5 * peak * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


def train_manual_lr(model, loader, cfg):
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    total = cfg.epochs * len(loader)
    step = 0
    for epoch in range(cfg.epochs):
        model.train()
        for x, y in loader:
            lr = cosine_lr(step, cfg.warmup, total, cfg.lr)
            for group in opt.param_groups:
                group["lr"] = lr
            opt.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
            step += 1
