import torch


@torch.no_grad()
def validate(model, val_dl, criterion):
    model.eval()
    total, n = 0.0, 0
    for _, (x, y) in zip(range(25), val_dl):  # BUG: NN502
        total += criterion(model(x), y).item() * y.size(0)
        n += y.size(0)
    model.train()
    return total / n
