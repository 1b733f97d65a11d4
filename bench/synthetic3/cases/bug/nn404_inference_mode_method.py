import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(100, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 10))

    def forward(self, x):
        return self.body(x)


class Runner:
    def __init__(self, train_loader, val_loader, device="cpu"):
        self.net = Net().to(device)
        self.device = device
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.opt = torch.optim.SGD(self.net.parameters(), lr=0.01)

    def train_epoch(self):
        self.net.train()
        for x, y in self.train_loader:
            self.opt.zero_grad()
            F.cross_entropy(self.net(x.to(self.device)), y.to(self.device)).backward()
            self.opt.step()

    @torch.inference_mode()
    def validate(self):
        correct = 0
        for x, y in self.val_loader:
            logits = self.net(x.to(self.device))  # BUG: NN404
            correct += (logits.argmax(1).cpu() == y).sum().item()
        return correct / len(self.val_loader.dataset)

    def fit(self, epochs):
        for epoch in range(epochs):
            self.train_epoch()
            print(epoch, self.validate())
