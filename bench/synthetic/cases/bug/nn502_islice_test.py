"""Evaluation utilities for the speech-command model."""
import itertools

import torch


def test(model, test_loader, device="cpu"):
    model.eval()
    correct = 0
    total = 0
    with torch.no_grad():
        for waveform, label in itertools.islice(test_loader, 20):  # BUG: NN502
            waveform, label = waveform.to(device), label.to(device)
            pred = model(waveform).argmax(dim=-1)
            correct += pred.eq(label).sum().item()
            total += label.numel()
    acc = 100.0 * correct / total
    print(f"Test accuracy: {correct}/{total} ({acc:.1f}%)")
    return acc


def confusion(model, test_loader, n_classes, device="cpu"):
    model.eval()
    cm = torch.zeros(n_classes, n_classes, dtype=torch.long)
    with torch.no_grad():
        for waveform, label in test_loader:
            pred = model(waveform.to(device)).argmax(dim=-1).cpu()
            for t, p in zip(label, pred):
                cm[t, p] += 1
    return cm
