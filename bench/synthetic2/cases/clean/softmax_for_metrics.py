import torch
import torch.nn as nn
import torch.nn.functional as F


def train_epoch(model, loader, optimizer, device):
    criterion = nn.CrossEntropyLoss()
    model.train()
    total_loss, total_conf, n = 0.0, 0.0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        logits = model(images)
        loss = criterion(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        probs = F.softmax(logits.detach(), dim=1)
        total_conf += probs.max(dim=1).values.sum().item()
        total_loss += loss.item() * labels.size(0)
        n += labels.size(0)
    return total_loss / n, total_conf / n
