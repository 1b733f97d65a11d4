import torch
from torch import nn


class History:
    def __init__(self):
        self.losses = []

    def log(self, value):
        self.losses.append(float(value))


def train(model, loader, epochs=5):
    hist = History()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    mse = nn.MSELoss()
    epoch_losses = []
    for epoch in range(epochs):
        batch_losses = []
        for x, y in loader:
            opt.zero_grad()
            loss = mse(model(x), y)
            loss.backward()
            opt.step()
            batch_losses.append(loss.item())
            hist.log(loss)
        epoch_losses.append(sum(batch_losses) / len(batch_losses))
    return epoch_losses, hist
