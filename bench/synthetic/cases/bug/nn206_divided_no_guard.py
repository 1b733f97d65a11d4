from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class Config:
    lr: float = 1e-4
    epochs: int = 10
    gradient_accumulation_steps: int = 4
    log_every: int = 50


class Seq2SeqTrainer:
    def __init__(self, model, cfg: Config):
        self.model = model
        self.cfg = cfg
        self.optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)

    def train(self, loader):
        cfg = self.cfg
        for epoch in range(cfg.epochs):
            for step, (src, tgt) in enumerate(loader):
                logits = self.model(src, tgt[:, :-1])
                loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), tgt[:, 1:].reshape(-1), ignore_index=0)
                loss = loss / cfg.gradient_accumulation_steps
                loss.backward()
                self.optimizer.step()  # BUG: NN206
                self.optimizer.zero_grad()
                if step % cfg.log_every == 0:
                    print(epoch, step, loss.item() * cfg.gradient_accumulation_steps)
