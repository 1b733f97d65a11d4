import torch
from torch import nn


class MultiLabelTrainer:
    def __init__(self, model, lr=1e-3, threshold=0.5):
        self.model = model
        self.loss_fn = nn.BCEWithLogitsLoss()
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)
        self.threshold = threshold

    def step(self, x, y):
        self.model.train()
        logits = self.model(x)
        loss = self.loss_fn(logits, y)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        with torch.no_grad():
            preds = (torch.sigmoid(logits) > self.threshold).float()
            f1_num = 2 * (preds * y).sum()
            f1 = f1_num / (preds.sum() + y.sum() + 1e-8)
        return loss.item(), f1.item()

    def fit(self, loader, epochs):
        for _ in range(epochs):
            for x, y in loader:
                self.step(x, y)
