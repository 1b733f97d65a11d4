import torch
import torch.nn as nn

CFG = {"accum": 4, "lr": 5e-4, "warmup": 500, "max_norm": 1.0}


def train_loop(model, loader, epochs):
    optimizer = torch.optim.AdamW(model.parameters(), lr=CFG["lr"])
    lr_sched = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / CFG["warmup"]))
    criterion = nn.CrossEntropyLoss()
    model.train()
    for epoch in range(epochs):
        for it, (x, y) in enumerate(loader):
            loss = criterion(model(x), y) / CFG["accum"]
            loss.backward()
            if (it + 1) % CFG["accum"] == 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), CFG["max_norm"])
                lr_sched.step()
            optimizer.step()  # BUG: NN206
            optimizer.zero_grad()
