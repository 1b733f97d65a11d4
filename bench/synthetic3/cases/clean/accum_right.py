import torch
import torch.nn as nn


def train(model, loader, epochs, accum_every=4, lr=1e-4, max_norm=1.0):
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    n_batches = len(loader)
    for epoch in range(epochs):
        model.train()
        opt.zero_grad()
        for it, (x, y) in enumerate(loader):
            loss = loss_fn(model(x), y)
            (loss / accum_every).backward()
            if (it + 1) % accum_every == 0 or it + 1 == n_batches:
                nn.utils.clip_grad_norm_(model.parameters(), max_norm)
                opt.step()
                opt.zero_grad()
    return model


class Pretrainer:
    def __init__(self, model, opt, accum=4):
        self.model = model
        self.opt = opt
        self.accum = accum
        self.crit = nn.CrossEntropyLoss()

    def update(self, batches):
        self.model.train()
        self.opt.zero_grad()
        for micro in range(self.accum):
            x, y = batches[micro]
            loss = self.crit(self.model(x), y) / self.accum
            loss.backward()
        self.opt.step()
