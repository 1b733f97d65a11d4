import argparse

import torch
import torch.nn.functional as F

from models import TextCNN
from utils import Meter, set_seed


class Trainer:
    def __init__(self, model, lr, device):
        self.model = model.to(device)
        self.device = device
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=lr)

    def train_step(self, tokens, labels):
        tokens, labels = tokens.to(self.device), labels.to(self.device)
        logits = self.model(tokens)
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        self.optimizer.step()  # BUG: NN203
        return loss.item()

    def train_epoch(self, loader):
        self.model.train()
        meter = Meter()
        for tokens, labels in loader:
            meter.add(self.train_step(tokens, labels), labels.size(0))
        return meter.avg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--lr", type=float, default=1e-3)
    args = ap.parse_args()
    set_seed(1234)
    loader = torch.load("train_batches.pt")
    trainer = Trainer(TextCNN(vocab_size=30000), args.lr, "cuda")
    for epoch in range(args.epochs):
        print(epoch, trainer.train_epoch(loader))


if __name__ == "__main__":
    main()
