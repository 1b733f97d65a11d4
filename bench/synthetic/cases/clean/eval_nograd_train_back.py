import torch
import torch.nn as nn


@torch.no_grad()
def evaluate(model, loader, criterion, device):
    model.eval()
    total, n = 0.0, 0
    for images, targets in loader:
        images, targets = images.to(device), targets.to(device)
        total += criterion(model(images), targets).item() * images.size(0)
        n += images.size(0)
    return total / n


def train(model, train_loader, val_loader, epochs=30, device="cuda"):
    model.to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    best = float("inf")
    for epoch in range(epochs):
        model.train()
        for images, targets in train_loader:
            images, targets = images.to(device), targets.to(device)
            loss = criterion(model(images), targets)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        scheduler.step()
        val_loss = evaluate(model, val_loader, criterion, device)
        if val_loss < best:
            best = val_loss
            torch.save(model.state_dict(), "best.pt")
        print(f"epoch {epoch}: val {val_loss:.4f} best {best:.4f}")
    return best
