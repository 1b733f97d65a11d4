import copy

import torch
import torch.nn as nn


class EarlyStopping:
    def __init__(self, patience=5):
        self.patience = patience
        self.best = float("inf")
        self.bad = 0
        self.best_state = None

    def __call__(self, val_loss, model):
        if val_loss < self.best:
            self.best, self.bad = val_loss, 0
            self.best_state = copy.deepcopy(model.state_dict())
            return False
        self.bad += 1
        return self.bad >= self.patience


class Trainer:
    def __init__(self, model, train_loader, val_loader):
        self.model = model
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        self.crit = nn.MSELoss()
        self.stopper = EarlyStopping()

    def validate(self):
        self.model.eval()
        total = 0.0
        with torch.no_grad():
            for x, y in self.val_loader:
                total += self.crit(self.model(x), y).item() * len(x)
        self.model.train()
        return total / len(self.val_loader.dataset)

    def fit(self, epochs):
        self.model.train()
        for epoch in range(epochs):
            for x, y in self.train_loader:
                self.opt.zero_grad()
                self.crit(self.model(x), y).backward()
                self.opt.step()
            if self.stopper(self.validate(), self.model):
                break
        self.model.load_state_dict(self.stopper.best_state)


def make_model():
    return nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 1))
