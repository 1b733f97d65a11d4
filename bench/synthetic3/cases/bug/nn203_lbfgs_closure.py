"""Fit a small MLP to a 1-D function with full-batch L-BFGS (notebook export)."""
import math

import torch
import torch.nn as nn

torch.manual_seed(0)

xs = torch.linspace(-math.pi, math.pi, 400).unsqueeze(1)
ys = torch.sin(3 * xs) + 0.1 * xs ** 2

mlp = nn.Sequential(nn.Linear(1, 50), nn.Tanh(), nn.Linear(50, 50), nn.Tanh(), nn.Linear(50, 1))
lbfgs = torch.optim.LBFGS(mlp.parameters(), lr=0.5, max_iter=20, history_size=50)
mse = nn.MSELoss()


def closure():
    loss = mse(mlp(xs), ys)
    loss.backward()
    return loss


for it in range(50):
    loss = lbfgs.step(closure)  # BUG: NN203
    print(f"iter {it}: {loss.item():.6f}")
