import torch
import torch.nn.functional as F


@torch.no_grad()
def validate(model, val_loader, device):
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    for i, (x, y) in enumerate(val_loader):
        if i >= 10:  # BUG: NN502
            break
        x, y = x.to(device), y.to(device)
        logits = model(x)
        total_loss += F.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(-1) == y).sum().item()
        seen += y.size(0)
    model.train()
    return total_loss / seen, correct / seen


def fit(model, train_loader, val_loader, optimizer, epochs, device="cuda"):
    for epoch in range(epochs):
        model.train()
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        val_loss, val_acc = validate(model, val_loader, device)
        print(f"epoch {epoch}: val_loss={val_loss:.4f} val_acc={val_acc:.4f}")
