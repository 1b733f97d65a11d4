# Fit a small MLP to the Boston-housing style regression table.
import numpy as np
import pandas as pd
import torch
import torch.nn as nn

torch.manual_seed(42)
np.random.seed(42)

df = pd.read_csv("housing.csv")
X = torch.tensor(df.drop(columns=["price"]).values, dtype=torch.float32)
y = torch.tensor(df["price"].values, dtype=torch.float32).unsqueeze(1)
X = (X - X.mean(0)) / X.std(0)

net = nn.Sequential(
    nn.Linear(X.shape[1], 64),
    nn.ReLU(),
    nn.Linear(64, 64),
    nn.ReLU(),
    nn.Linear(64, 1),
)
loss_func = nn.MSELoss()
optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)

n = X.shape[0]
perm = np.random.permutation(n)
batch = 32
for epoch in range(200):
    for start in range(0, n, batch):
        idx = perm[start:start + batch]
        prediction = net(X[idx])
        loss = loss_func(prediction, y[idx])
        loss.backward()
        optimizer.step()  # BUG: NN203
    if epoch % 20 == 0:
        print("epoch", epoch, "loss", loss.item())

torch.save(net.state_dict(), "mlp.pt")
