import torch
import torch.nn.functional as F


def train_one_epoch(model, loader, optimizer):
    model.train()
    running = 0.0
    all_preds, all_losses = [], []
    for step, (x, y) in enumerate(loader):
        out = model(x)
        loss = F.cross_entropy(out, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running += loss.item()
        all_losses.append(loss.detach().cpu())
        all_preds.append(out.argmax(1).detach().cpu())
    return running / (step + 1), torch.cat(all_preds), torch.stack(all_losses)
