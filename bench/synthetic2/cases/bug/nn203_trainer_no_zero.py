import torch
import torch.nn as nn


class Trainer:
    def __init__(self, model, train_loader, val_loader, device="cpu"):
        self.model = model.to(device)
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.device = device
        self.optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        self.criterion = nn.CrossEntropyLoss()

    def train_epoch(self):
        self.model.train()
        for x, y in self.train_loader:
            x, y = x.to(self.device), y.to(self.device)
            loss = self.criterion(self.model(x), y)
            loss.backward()
            self.optimizer.step()  # BUG: NN203

    @torch.no_grad()
    def validate(self):
        self.model.eval()
        correct = 0
        for x, y in self.val_loader:
            correct += (self.model(x.to(self.device)).argmax(1) == y.to(self.device)).sum().item()
        self.model.train()
        return correct / len(self.val_loader.dataset)

    def fit(self, epochs):
        for _ in range(epochs):
            self.train_epoch()
            print(self.validate())
