from collections import defaultdict

import torch
import torch.nn.functional as F


def train_multitask(model, loader, optimizer, epochs, device="cpu"):
    history = defaultdict(list)
    for epoch in range(epochs):
        model.train()
        running = defaultdict(float)
        n_batches = 0
        for batch in loader:
            images = batch["image"].to(device)
            outputs = model(images)
            losses = {
                "cls": F.cross_entropy(outputs["cls"], batch["label"].to(device)),
                "box": F.smooth_l1_loss(outputs["box"], batch["box"].to(device)),
            }
            loss = sum(losses.values())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            for name, value in losses.items():
                running[name] += value.item()
            running["total"] += loss.item()
            n_batches += 1
        for name, total in running.items():
            history[name].append(total / n_batches)
        print(epoch, {k: round(v[-1], 4) for k, v in history.items()})
    return history


def epoch_loss_tensor(model, loader, device="cpu"):
    """Held-out loss; summed under no_grad so no graph is kept."""
    model.eval()
    total = torch.zeros((), device=device)
    with torch.no_grad():
        for batch in loader:
            out = model(batch["image"].to(device))
            total += F.cross_entropy(out["cls"], batch["label"].to(device), reduction="sum")
    return total.item() / len(loader.dataset)
