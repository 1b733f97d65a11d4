import torch
import torch.nn as nn


class Pretrainer:
    def __init__(self, model, opt, accum=4):
        self.model = model
        self.opt = opt
        self.accum = accum
        self.crit = nn.CrossEntropyLoss()

    def update(self, batches):
        """One optimiser update from `self.accum` micro-batches."""
        self.model.train()
        for micro in range(self.accum):
            x, y = batches[micro]
            self.opt.zero_grad()  # BUG: NN206
            loss = self.crit(self.model(x), y)
            (loss / self.accum).backward()
        self.opt.step()

    def run(self, stream, n_updates):
        for _ in range(n_updates):
            self.update([next(stream) for _ in range(self.accum)])
