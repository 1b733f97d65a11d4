import torch
import torch.nn as nn
import torch.nn.functional as F


class TabularNet(nn.Module):
    def __init__(self, n_in, n_hidden=128, n_out=1):
        super().__init__()
        self.fc1 = nn.Linear(n_in, n_hidden)  # BUG: NN402
        self.bn1 = nn.BatchNorm1d(n_hidden)
        self.fc2 = nn.Linear(n_hidden, n_out)

    def forward(self, x):
        x = self.fc1(x)
        x = self.bn1(x)
        x = F.relu(x)
        return self.fc2(x)
