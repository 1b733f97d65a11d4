"""CIFAR-100 WideResNet training, config-dict style."""
import torch
import torch.nn as nn
from torch.optim.lr_scheduler import MultiStepLR

CONFIG = {
    "epochs": 100,
    "batch_size": 128,
    "lr": 0.1,
    "momentum": 0.9,
    "weight_decay": 5e-4,
}


def train(model, train_loader, cfg=CONFIG):
    torch.manual_seed(cfg.get("seed", 0))
    opt = torch.optim.SGD(
        model.parameters(),
        lr=cfg["lr"],
        momentum=cfg["momentum"],
        weight_decay=cfg["weight_decay"],
        nesterov=True,
    )
    sched = MultiStepLR(opt, milestones=[150, 225], gamma=0.1)  # BUG: NN211
    ce = nn.CrossEntropyLoss()
    for epoch in range(cfg["epochs"]):
        model.train()
        correct = total = 0
        for x, y in train_loader:
            x, y = x.cuda(), y.cuda()
            out = model(x)
            loss = ce(out, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            correct += (out.argmax(1) == y).sum().item()
            total += y.size(0)
        sched.step()
        print(f"epoch {epoch} train acc {correct / total:.3f}")
    return model
