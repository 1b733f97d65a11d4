import torch
import torch.nn.functional as F


class Trainer:
    def __init__(self, model, optimizer, accumulation_steps=4):
        self.model = model
        self.optimizer = optimizer
        self.accumulation_steps = accumulation_steps

    def train_epoch(self, loader):
        self.model.train()
        for i, batch in enumerate(loader):
            self.optimizer.zero_grad()  # BUG: NN206
            out = self.model(batch["x"])
            loss = F.mse_loss(out, batch["y"]) / self.accumulation_steps
            loss.backward()
            if (i + 1) % self.accumulation_steps == 0:
                self.optimizer.step()
