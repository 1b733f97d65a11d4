import itertools

import torch


@torch.no_grad()
def validate(model, val_dl, criterion, max_batches=None):
    model.eval()
    total, n = 0.0, 0
    batches = val_dl if max_batches is None else itertools.islice(val_dl, max_batches)
    for x, y in batches:
        total += criterion(model(x), y).item() * y.size(0)
        n += y.size(0)
    model.train()
    return total / n


@torch.no_grad()
def evaluate(net, val_loader, dry_run=False):
    net.eval()
    correct = seen = 0
    for i, (x, y) in enumerate(val_loader):
        correct += (net(x).argmax(1) == y).sum().item()
        seen += y.size(0)
        if dry_run:
            break
    return correct / seen


def train(model, loader, opt, max_steps=1000):
    model.train()
    for step, (x, y) in enumerate(loader):
        if step >= max_steps:
            break
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
