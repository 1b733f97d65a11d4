import torch
import torch.nn as nn


class SegTrainer:
    def __init__(self, net, lr=1e-3):
        self.net = net
        self.optimizer = torch.optim.Adam(net.parameters(), lr=lr)
        self.loss_fn = nn.BCEWithLogitsLoss()

    def train_step(self, image, mask):
        self.optimizer.zero_grad()
        logits = self.net(image)
        loss = self.loss_fn(logits, mask)
        self.optimizer.step()  # BUG: NN205
        loss.backward()
        return loss.item()

    def train(self, loader, epochs):
        self.net.train()
        for epoch in range(epochs):
            for image, mask in loader:
                self.train_step(image, mask)
