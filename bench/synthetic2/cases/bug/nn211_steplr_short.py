from types import SimpleNamespace

import torch
import torch.nn as nn
from torch.optim.lr_scheduler import StepLR

cfg = SimpleNamespace(epochs=20, lr=0.1, batch_size=128)


def main():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=0.9, weight_decay=5e-4)
    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)  # BUG: NN211
    x = torch.randn(1280, 3, 32, 32)
    y = torch.randint(0, 10, (1280,))
    for epoch in range(cfg.epochs):
        for i in range(0, len(x), cfg.batch_size):
            loss = nn.functional.cross_entropy(model(x[i:i + cfg.batch_size]), y[i:i + cfg.batch_size])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()


if __name__ == "__main__":
    main()
