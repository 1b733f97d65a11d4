import torch
import torch.nn as nn
import torch.nn.functional as F


class Classifier(nn.Module):
    def __init__(self, n_classes=10):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(4))
        self.fc = nn.Linear(16 * 4 * 4, n_classes)

    def forward(self, x):
        x = self.features(x)
        x = torch.flatten(x, 1)
        return self.fc(x)


class Scorer(nn.Module):
    """Outputs one score per sample; (B, 1) squeezed to (B,)."""

    def __init__(self, d):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(d, 32), nn.ReLU(), nn.Linear(32, 1))

    def forward(self, x):
        return self.net(x).view(-1)


class SegHead(nn.Module):
    def __init__(self, c, k):
        super().__init__()
        self.conv = nn.Conv2d(c, k, 1)

    def forward(self, x):
        return self.conv(x)


def seg_loss(logits, target):
    k = logits.size(1)
    return F.cross_entropy(logits.permute(0, 2, 3, 1).reshape(-1, k), target.reshape(-1))


class GlobalPool(nn.Module):
    def __init__(self, c, n):
        super().__init__()
        self.fc = nn.Linear(c, n)

    def forward(self, x):
        return self.fc(x.view(x.size(0), x.size(1), -1).mean(2))
