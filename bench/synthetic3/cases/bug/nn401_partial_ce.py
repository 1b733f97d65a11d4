from functools import partial

import torch
import torch.nn.functional as F

loss_fn = partial(F.cross_entropy, label_smoothing=0.1)


def train_epoch(model, loader, opt):
    model.train()
    for images, labels in loader:
        logits = model(images).log_softmax(-1)  # BUG: NN401
        loss = loss_fn(logits, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
