import torch
import torch.nn as nn
from torch.utils.data import DataLoader


def train_one_epoch(model, loader, optimizer, scaler, device):
    model.train()
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    for step, (images, targets) in enumerate(loader):
        images = images.to(device, non_blocking=True)
        targets = targets.to(device, non_blocking=True)
        with torch.autocast(device_type="cuda"):
            output = model(images)
            loss = criterion(output, targets)
        scaler.scale(loss).backward()
        optimizer.zero_grad(set_to_none=True)  # BUG: NN204
        scaler.step(optimizer)
        scaler.update()
        if step % 50 == 0:
            print(step, loss.item())
