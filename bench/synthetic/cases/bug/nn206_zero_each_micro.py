import torch
import torch.nn as nn


def train(model, loader, epochs, accumulation_steps=4, lr=1e-3, device="cuda"):
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    model.to(device)
    for epoch in range(epochs):
        model.train()
        for step, (x, y) in enumerate(loader):
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()  # BUG: NN206
            logits = model(x)
            loss = criterion(logits, y) / accumulation_steps
            loss.backward()
            if (step + 1) % accumulation_steps == 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
        print("epoch", epoch, "done")
    return model
