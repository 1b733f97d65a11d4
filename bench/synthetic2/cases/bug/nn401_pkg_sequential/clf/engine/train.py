import torch
from torch import nn

from ..models import build_mlp


def train(loader, in_dim, n_classes, epochs=10):
    torch.manual_seed(0)
    model = build_mlp(in_dim, 256, n_classes)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(epochs):
        model.train()
        for features, labels in loader:
            optimizer.zero_grad()
            loss = criterion(model(features), labels)
            loss.backward()
            optimizer.step()
    return model
