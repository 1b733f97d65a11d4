import torch
import torch.nn as nn


class TabularNet(nn.Module):
    def __init__(self, n_in, hidden=256, n_out=1):
        super().__init__()
        self.block = nn.ModuleDict(
            {
                "proj": nn.Linear(n_in, hidden),  # BUG: NN402
                "bn": nn.BatchNorm1d(hidden),
            }
        )
        self.out = nn.Linear(hidden, n_out)

    def forward(self, x):
        h = torch.relu(self.block["bn"](self.block["proj"](x)))
        return self.out(h)
