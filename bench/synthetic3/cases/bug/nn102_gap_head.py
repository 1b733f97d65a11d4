import torch.nn as nn
import torchvision


class PetClassifier(nn.Module):
    def __init__(self, n_breeds=37):
        super().__init__()
        resnet = torchvision.models.resnet18(weights=None)
        self.encoder = nn.Sequential(*list(resnet.children())[:-2])
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(512, n_breeds)

    def forward(self, x):
        pooled = self.gap(self.encoder(x))
        return self.classifier(pooled.reshape(-1))  # BUG: NN102
