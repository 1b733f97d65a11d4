import torch
from torch import nn


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, x):
        return self.net(x).squeeze(-1)


class Trainer:
    def __init__(self, cfg):
        self.cfg = cfg
        self.model = Regressor()
        self.optim = torch.optim.Adam(self.model.parameters(), lr=cfg["lr"])

    def training_step(self, batch):
        x, y = batch
        loss = nn.functional.mse_loss(self.model(x), y)
        loss.backward()
        self.optim.zero_grad()  # BUG: NN204
        self.optim.step()
        return loss.detach()

    def fit(self, loader):
        for epoch in range(self.cfg["epochs"]):
            for batch in loader:
                self.training_step(batch)
