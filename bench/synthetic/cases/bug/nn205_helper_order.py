"""Siamese network trained with a contrastive loss."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class ContrastiveLoss(nn.Module):
    def __init__(self, margin=2.0):
        super().__init__()
        self.margin = margin

    def forward(self, a, b, same):
        d = F.pairwise_distance(a, b)
        return torch.mean(same * d.pow(2) + (1 - same) * torch.clamp(self.margin - d, min=0.0).pow(2))


def train(net, pair_loader, epochs=30, lr=5e-4):
    criterion = ContrastiveLoss()
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    counter, loss_history = [], []
    it = 0
    for epoch in range(epochs):
        for img0, img1, label in pair_loader:
            optimizer.zero_grad()
            out0, out1 = net(img0), net(img1)
            loss_contrastive = criterion(out0, out1, label)
            optimizer.step()  # BUG: NN205
            loss_contrastive.backward()
            it += 1
            if it % 10 == 0:
                counter.append(it)
                loss_history.append(loss_contrastive.item())
    return counter, loss_history
