import torch.nn as nn


class SmallCNN(nn.Module):
    def __init__(self, n_classes=10):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.fc = nn.Linear(16 * 14 * 14, n_classes)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))
