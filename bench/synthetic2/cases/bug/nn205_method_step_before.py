import torch
import torch.nn as nn


class Learner:
    def __init__(self, net, lr=3e-4):
        self.net = net
        self.opt = torch.optim.Adam(net.parameters(), lr=lr)
        self.loss_fn = nn.BCEWithLogitsLoss()

    def update(self, x, y):
        self.opt.zero_grad()
        logits = self.net(x)
        loss = self.loss_fn(logits, y)
        self.opt.step()  # BUG: NN205
        loss.backward()
        return loss.item()

    def train(self, loader, epochs):
        for _ in range(epochs):
            for x, y in loader:
                self.update(x, y)
