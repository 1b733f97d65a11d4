import torch
import torch.nn as nn
from dataclasses import dataclass


@dataclass
class TrainConfig:
    lr: float = 3e-4
    epochs: int = 3
    grad_accum_steps: int = 8
    max_grad_norm: float = 1.0


def train(model, loader, cfg: TrainConfig):
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    model.train()
    optimizer.zero_grad()
    for epoch in range(cfg.epochs):
        for step, (inputs, labels) in enumerate(loader):
            logits = model(inputs)
            loss = criterion(logits, labels)
            loss.backward()  # BUG: NN206
            if (step + 1) % cfg.grad_accum_steps == 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
                optimizer.step()
                optimizer.zero_grad()
