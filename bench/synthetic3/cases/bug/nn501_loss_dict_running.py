from collections import defaultdict

import torch
import torch.nn.functional as F


def train_epoch(model, loader, optimizer, w_aux=0.4):
    model.train()
    running = defaultdict(float)
    for images, labels in loader:
        main_out, aux_out = model(images)
        losses = {
            "main": F.cross_entropy(main_out, labels),
            "aux": w_aux * F.cross_entropy(aux_out, labels),
        }
        total = sum(losses.values())
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        for name, value in losses.items():
            running[name] += value  # BUG: NN501
    return {k: v / len(loader) for k, v in running.items()}
