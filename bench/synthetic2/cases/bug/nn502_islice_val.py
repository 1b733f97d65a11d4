from itertools import islice

import torch


class Evaluator:
    def __init__(self, model, loader, metric_fn):
        self.model = model
        self.loader = loader
        self.metric_fn = metric_fn

    @torch.no_grad()
    def evaluate(self):
        self.model.eval()
        scores = []
        for batch in islice(self.loader, 10):  # BUG: NN502
            preds = self.model(batch["pixel_values"])
            scores.append(self.metric_fn(preds, batch["labels"]))
        self.model.train()
        return sum(scores) / len(scores)
