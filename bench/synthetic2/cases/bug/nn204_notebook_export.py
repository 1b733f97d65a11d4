#!/usr/bin/env python
# coding: utf-8

# In[1]:


import numpy as np
import torch
import torch.nn as nn

np.random.seed(42)
torch.manual_seed(42)


# In[2]:


X = torch.tensor(np.random.randn(1000, 5), dtype=torch.float32)
y = (X.sum(1) > 0).long()
model = nn.Sequential(nn.Linear(5, 32), nn.Tanh(), nn.Linear(32, 2))
optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()


# In[3]:


for epoch in range(50):
    perm = torch.randperm(len(X))
    for i in range(0, len(X), 50):
        idx = perm[i:i+50]
        out = model(X[idx])
        loss = loss_fn(out, y[idx])
        loss.backward()
        model.zero_grad()  # BUG: NN204
        optimizer.step()
    if epoch % 10 == 0:
        print(epoch, loss.item())
