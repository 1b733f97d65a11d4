import torch
from torch.optim.lr_scheduler import LambdaLR


def make_warmup(n_warmup_steps):
    def factor(step):
        return min(1.0, (step + 1) / n_warmup_steps)

    return factor


def train(model, loader, epochs, lr=5e-4, warmup_steps=2000):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.98))
    scheduler = LambdaLR(optimizer, make_warmup(warmup_steps))
    for epoch in range(epochs):
        model.train()
        for src, tgt in loader:
            optimizer.zero_grad()
            loss = model(src, tgt)
            loss.backward()
            optimizer.step()
        scheduler.step()  # BUG: NN212
