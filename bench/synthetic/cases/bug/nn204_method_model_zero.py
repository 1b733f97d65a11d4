import torch
from torch import nn


class SegmentationSolver:
    def __init__(self, net: nn.Module, lr: float = 1e-4, weight_decay: float = 1e-5):
        self.net = net
        self.optimizer = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
        self.criterion = nn.BCEWithLogitsLoss()

    def dice(self, logits, mask, eps=1e-6):
        prob = torch.sigmoid(logits)
        inter = (prob * mask).sum(dim=(1, 2, 3))
        union = prob.sum(dim=(1, 2, 3)) + mask.sum(dim=(1, 2, 3))
        return (2 * inter + eps) / (union + eps)

    def optimize(self, image, mask):
        logits = self.net(image)
        loss = self.criterion(logits, mask) + (1 - self.dice(logits, mask)).mean()
        loss.backward()
        self.net.zero_grad()  # BUG: NN204
        self.optimizer.step()
        return loss.item()

    def train(self, loader, epochs=50):
        self.net.train()
        for epoch in range(epochs):
            losses = [self.optimize(img, m) for img, m in loader]
            print(f"epoch {epoch}: {sum(losses) / len(losses):.4f}")
