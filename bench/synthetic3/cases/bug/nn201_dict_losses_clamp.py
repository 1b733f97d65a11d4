"""Multi-task training: segmentation + depth, with a loss dictionary."""
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 1234
random.seed(SEED)
np.random.seed(SEED)
torch.manual_seed(SEED)


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU())
        self.seg = nn.Conv2d(32, 5, 1)
        self.depth = nn.Conv2d(32, 1, 1)

    def forward(self, x):
        f = self.trunk(x)
        return {"seg": self.seg(f), "depth": self.depth(f)}


net = TwoHeads()
optimizer = torch.optim.AdamW(net.parameters(), lr=3e-4, weight_decay=0.01)
weights = {"seg": 1.0, "depth": 0.5}

for it in range(2000):
    img = torch.rand(8, 3, 64, 64)
    seg_gt = torch.randint(0, 5, (8, 64, 64))
    depth_gt = torch.rand(8, 1, 64, 64)
    out = net(img)
    losses = {
        "seg": F.cross_entropy(out["seg"], seg_gt),
        "depth": F.l1_loss(out["depth"], depth_gt),
    }
    loss = torch.clamp(sum(weights[k] * v for k, v in losses.items()), 0.0, 10.0)  # BUG: NN201
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    if it % 100 == 0:
        print(it, {k: round(v.item(), 4) for k, v in losses.items()})
