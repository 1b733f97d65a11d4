"""Trainer with per-epoch validation; keeps the best checkpoint."""
import copy

import torch
import torch.nn as nn


class Trainer:
    def __init__(self, model, train_loader, val_loader, lr=1e-3, device="cuda"):
        self.model = model.to(device)
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.device = device
        self.criterion = nn.CrossEntropyLoss()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr)
        self.best_acc = 0.0
        self.best_state = None

    def _train_epoch(self):
        for x, y in self.train_loader:
            x, y = x.to(self.device), y.to(self.device)
            loss = self.criterion(self.model(x), y)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()

    @torch.no_grad()
    def _validate(self):
        self.model.eval()  # BUG: NN404
        hits = n = 0
        for x, y in self.val_loader:
            x, y = x.to(self.device), y.to(self.device)
            hits += (self.model(x).argmax(1) == y).sum().item()
            n += y.numel()
        return hits / n

    def fit(self, epochs):
        self.model.train()
        for epoch in range(epochs):
            self._train_epoch()
            acc = self._validate()
            if acc > self.best_acc:
                self.best_acc = acc
                self.best_state = copy.deepcopy(self.model.state_dict())
            print(f"epoch {epoch}: val acc {acc:.4f} (best {self.best_acc:.4f})")
        return self.best_state
