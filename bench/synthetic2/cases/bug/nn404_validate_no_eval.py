import torch
import torch.nn as nn


class Accuracy:
    def __init__(self):
        self.correct = 0
        self.total = 0

    def update(self, logits, y):
        self.correct += (logits.argmax(-1) == y).sum().item()
        self.total += y.numel()

    def compute(self):
        return self.correct / max(self.total, 1)


class Trainer:
    def __init__(self, model, train_loader, val_loader):
        self.model = model
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        self.loss_fn = nn.CrossEntropyLoss()

    def train_epoch(self):
        self.model.train()
        for x, y in self.train_loader:
            self.opt.zero_grad()
            self.loss_fn(self.model(x), y).backward()
            self.opt.step()

    @torch.no_grad()
    def validate(self):
        metric = Accuracy()
        for x, y in self.val_loader:  # BUG: NN404
            metric.update(self.model(x), y)
        return metric.compute()

    def fit(self, epochs):
        for epoch in range(epochs):
            self.train_epoch()
            print(f"epoch {epoch}: val acc {self.validate():.3f}")


def make_model():
    return nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Dropout(0.5), nn.Linear(64, 3))
