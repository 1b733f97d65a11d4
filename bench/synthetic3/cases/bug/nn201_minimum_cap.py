import torch
import torch.nn as nn
from torch.utils.data import DataLoader


class Trainer:
    def __init__(self, model, train_ds, cfg):
        self.model = model
        self.cfg = cfg
        self.loader = DataLoader(train_ds, batch_size=cfg["batch_size"], shuffle=True)
        self.opt = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=0.9)
        self.criterion = nn.SmoothL1Loss()

    def train_step(self, batch):
        x, target = batch
        pred = self.model(x)
        loss = self.criterion(pred, target)
        loss = torch.minimum(loss, torch.tensor(self.cfg["loss_cap"], device=loss.device))  # BUG: NN201
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()

    def fit(self, epochs):
        self.model.train()
        for epoch in range(epochs):
            total = 0.0
            for batch in self.loader:
                total += self.train_step(batch)
            print(f"epoch {epoch}: {total / len(self.loader):.4f}")
