# %% [markdown]
# Polynomial regression with a tiny MLP

# %%
import torch
import torch.nn as nn

X = torch.randn(1000, 3)  # BUG: NN301
w_true = torch.tensor([[1.5], [-2.0], [0.7]])
Y = X @ w_true + 0.1 * torch.randn(1000, 1)

# %%
reg = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 1))
opt = torch.optim.SGD(reg.parameters(), lr=0.01)

for epoch in range(200):
    perm = torch.randperm(X.size(0))
    for i in range(0, X.size(0), 50):
        idx = perm[i:i + 50]
        opt.zero_grad()
        loss = ((reg(X[idx]) - Y[idx]) ** 2).mean()
        loss.backward()
        opt.step()
