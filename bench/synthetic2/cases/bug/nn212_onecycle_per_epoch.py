import torch
import torch.nn.functional as F
from torch.optim.lr_scheduler import OneCycleLR


def fit(model, train_loader, epochs=10, max_lr=1e-2):
    opt = torch.optim.AdamW(model.parameters(), lr=max_lr / 25)
    sched = OneCycleLR(opt, max_lr=max_lr, epochs=epochs, steps_per_epoch=len(train_loader))
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_loader:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()  # BUG: NN212
    return model
