import torch
import torch.nn as nn


class Evaluator:
    def __init__(self, model, loader, device="cpu"):
        self.model = model
        self.loader = loader
        self.device = device

    @torch.no_grad()
    def run(self):
        was_training = self.model.training
        self.model.eval()
        hits, n = 0, 0
        for x, y in self.loader:
            pred = self.model(x.to(self.device)).argmax(-1)
            hits += (pred.cpu() == y).sum().item()
            n += y.numel()
        self.model.train(was_training)
        return hits / n


def make_model():
    return nn.Sequential(nn.Linear(16, 32, bias=False), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 4))
