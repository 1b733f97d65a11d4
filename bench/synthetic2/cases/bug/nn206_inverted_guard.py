import torch
from torch import nn


def run(model, loader, epochs=2, accum=4, lr=1e-3):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    crit = nn.MSELoss()
    for epoch in range(epochs):
        for it, (x, y) in enumerate(loader):
            loss = crit(model(x), y) / accum
            loss.backward()
            if it % accum != 0:  # BUG: NN206
                opt.step()
                opt.zero_grad()
