import torch
from torch import nn, optim


def train(model: nn.Module, loader, epochs: int = 5, device: str = "cuda"):
    model.to(device).train()
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    loss_fn = nn.SmoothL1Loss()
    history = []
    for ep in range(epochs):
        epoch_loss = 0.0
        for i, (inp, tgt) in enumerate(loader):
            inp, tgt = inp.to(device), tgt.to(device)
            pred = model(inp)
            loss = loss_fn(pred, tgt)
            # keep outliers from blowing up the update
            loss.clamp(0, 10)  # BUG: NN201
            opt.zero_grad()
            loss.backward()
            opt.step()
            epoch_loss += loss.item()
        history.append(epoch_loss / len(loader))
        print(f"[{ep}] {history[-1]:.4f}")
    return history
