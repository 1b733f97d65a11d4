import torch
import torch.nn as nn


class Trainer:
    def __init__(self, net, loader, lr=1e-3):
        self.net = net
        self.loader = loader
        self.criterion = nn.CrossEntropyLoss()
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=lr)

    def epoch(self):
        self.net.train()
        for tokens, offsets, labels in self.loader:
            self.optimizer.zero_grad()
            out = self.net(tokens, offsets)
            loss = self.criterion(out, labels)
            loss.backward()
            self.optimizer.step()
