import torch
import torch.nn as nn
from torch.utils.data import DataLoader


def run_epoch(model, loader: DataLoader, optimizer, loss_fn, device):
    model.train()
    seen, total = 0, 0.0
    for step, batch in enumerate(loader):
        x = batch["input"].to(device)
        y = batch["target"].to(device)
        out = model(x)
        loss = loss_fn(out, y)
        loss.backward()
        optimizer.zero_grad()  # BUG: NN204
        optimizer.step()
        seen += x.size(0)
        total += loss.item() * x.size(0)
        if step % 200 == 0:
            print(f"step {step} loss {loss.item():.4f}")
    return total / seen


def fit(model, train_loader, epochs, lr=1e-3, device="cpu"):
    optimizer = torch.optim.RMSprop(model.parameters(), lr=lr)
    loss_fn = nn.L1Loss()
    model.to(device)
    for epoch in range(epochs):
        avg = run_epoch(model, train_loader, optimizer, loss_fn, device)
        print(f"epoch {epoch} avg loss {avg:.4f}")
    return model
