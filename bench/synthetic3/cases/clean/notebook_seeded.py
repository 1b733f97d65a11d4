# %% [markdown]
# Regression with a tiny MLP, seeded, evaluated each epoch

# %%
import random

import numpy as np
import torch
import torch.nn as nn

random.seed(0)
np.random.seed(0)
torch.manual_seed(0)

EPOCHS = 90
X = torch.randn(1000, 3)
Y = X @ torch.tensor([[1.5], [-2.0], [0.7]]) + 0.1 * torch.randn(1000, 1)
X_val, Y_val = torch.randn(200, 3), torch.randn(200, 1)

# %%
reg = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 1))
opt = torch.optim.SGD(reg.parameters(), lr=0.01)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)

for epoch in range(EPOCHS):
    reg.train()
    perm = torch.randperm(X.size(0))
    epoch_loss = 0.0
    for i in range(0, X.size(0), 50):
        idx = perm[i:i + 50]
        opt.zero_grad()
        loss = ((reg(X[idx]) - Y[idx]) ** 2).mean()
        loss.backward()
        opt.step()
        epoch_loss += loss.item()
    sched.step()
    reg.eval()
    with torch.inference_mode():
        val = ((reg(X_val) - Y_val) ** 2).mean().item()
    print(epoch, epoch_loss, val)
