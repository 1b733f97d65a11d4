#!/usr/bin/env python
# coding: utf-8

# In[1]:


import numpy as np
import torch
from torch import nn

torch.manual_seed(0)


# In[2]:


data = np.random.rand(500, 3).astype("float32")  # BUG: NN301
target = data @ np.array([1.0, -2.0, 0.5], dtype="float32")
X, Y = torch.from_numpy(data), torch.from_numpy(target)


# In[3]:


net = nn.Linear(3, 1)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for it in range(200):
    opt.zero_grad()
    loss = ((net(X).squeeze(1) - Y) ** 2).mean()
    loss.backward()
    opt.step()
print(net.weight)
