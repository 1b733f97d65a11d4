import torch
import torch.nn as nn


class Engine:
    def __init__(self, model, optimizer, train_loader, val_loader):
        self.model = model
        self.optimizer = optimizer
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.criterion = nn.CrossEntropyLoss()

    def training_step(self, batch):
        x, y = batch
        loss = self.criterion(self.model(x), y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def validation_step(self, batch):  # BUG: NN503
        x, y = batch
        logits = self.model(x)
        return self.criterion(logits, y).item(), (logits.argmax(1) == y).float().mean().item()

    def fit(self, epochs):
        for epoch in range(epochs):
            self.model.train()
            for batch in self.train_loader:
                self.training_step(batch)
            self.model.eval()
            results = [self.validation_step(b) for b in self.val_loader]
            print(epoch, sum(r[0] for r in results) / len(results))
