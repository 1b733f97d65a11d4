import argparse

import torch
import torch.nn as nn


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--lr", type=float, default=1e-3)
    args = parser.parse_args()
    torch.manual_seed(3)

    data = torch.load("windows.pt")
    x_all, y_all = data["x"], data["y"]
    model = nn.GRU(input_size=x_all.size(-1), hidden_size=64, batch_first=True)
    head = nn.Linear(64, 1)
    params = list(model.parameters()) + list(head.parameters())
    optimizer = torch.optim.Adam(params, lr=args.lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)  # BUG: NN212
    loss_fn = nn.MSELoss()
    for epoch in range(args.epochs):
        perm = torch.randperm(x_all.size(0))
        for i in range(0, len(perm), 64):
            idx = perm[i:i + 64]
            out, _ = model(x_all[idx])
            pred = head(out[:, -1])
            loss = loss_fn(pred.squeeze(-1), y_all[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        print(f"{epoch}: {loss.item():.5f}")


if __name__ == "__main__":
    main()
