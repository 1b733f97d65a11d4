import torch
from torch import nn
from torch.optim.lr_scheduler import OneCycleLR


class Trainer:
    def __init__(self, model, loader, epochs=10, max_lr=3e-3):
        self.model = model
        self.loader = loader
        self.epochs = epochs
        self.opt = torch.optim.AdamW(model.parameters(), lr=max_lr / 25, weight_decay=1e-4)
        self.sched = OneCycleLR(self.opt, max_lr=max_lr, total_steps=epochs * len(loader), pct_start=0.3)
        self.crit = nn.CrossEntropyLoss(label_smoothing=0.1)

    def train_epoch(self):
        self.model.train()
        for xb, yb in self.loader:
            self.opt.zero_grad(set_to_none=True)
            self.crit(self.model(xb), yb).backward()
            self.opt.step()
            self.sched.step()

    def fit(self):
        for _ in range(self.epochs):
            self.train_epoch()
