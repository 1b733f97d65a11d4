import torch
import torch.nn as nn


class Seq2SeqTrainer:
    def __init__(self, model, optimizer, clip=1.0):
        self.model = model
        self.optimizer = optimizer
        self.clip = clip
        self.criterion = nn.CrossEntropyLoss(ignore_index=0)

    def train_step(self, src, tgt):
        self.model.train()
        self.optimizer.zero_grad()
        logits = self.model(src, tgt[:, :-1])
        loss = self.criterion(logits.reshape(-1, logits.size(-1)), tgt[:, 1:].reshape(-1))
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)  # BUG: NN202
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def fit(self, loader, epochs):
        for ep in range(epochs):
            for src, tgt in loader:
                self.train_step(src, tgt)
