import torch
from torch import nn


class Trainer:
    def __init__(self, model, loader, optimizer):
        self.model = model
        self.loader = loader
        self.optimizer = optimizer
        self.criterion = nn.CrossEntropyLoss()
        self.history = []

    def train_epoch(self):
        self.model.train()
        running_loss = 0.0
        for inputs, targets in self.loader:
            self.optimizer.zero_grad()
            loss = self.criterion(self.model(inputs), targets)
            loss.backward()
            self.optimizer.step()
            running_loss += loss  # BUG: NN501
        epoch_loss = running_loss / len(self.loader)
        self.history.append(float(epoch_loss))
        return epoch_loss
