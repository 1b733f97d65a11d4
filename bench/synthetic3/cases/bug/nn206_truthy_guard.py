import torch
from torch import nn


def train(model, loader, epochs, accum_every=4, lr=1e-4):
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    step = 0
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            loss = loss_fn(model(x), y) / accum_every
            loss.backward()
            step += 1
            if step % accum_every:  # BUG: NN206
                opt.step()
                opt.zero_grad()
    return model
