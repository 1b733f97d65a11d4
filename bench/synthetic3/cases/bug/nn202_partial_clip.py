import functools

import torch
import torch.nn as nn

torch.manual_seed(3)

clip = functools.partial(nn.utils.clip_grad_norm_, max_norm=0.5)

policy = nn.Sequential(nn.Linear(8, 64), nn.Tanh(), nn.Linear(64, 4))
optimizer = torch.optim.Adam(policy.parameters(), lr=3e-4)

for update in range(500):
    obs = torch.randn(256, 8)
    actions = torch.randint(0, 4, (256,))
    returns = torch.randn(256)
    logp = torch.log_softmax(policy(obs), dim=-1).gather(1, actions[:, None]).squeeze(1)
    loss = -(logp * returns).mean()
    optimizer.zero_grad()
    clip(policy.parameters())  # BUG: NN202
    loss.backward()
    optimizer.step()
