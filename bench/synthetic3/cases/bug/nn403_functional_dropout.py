import torch.nn as nn
import torch.nn.functional as F


class MLPBlock(nn.Module):
    def __init__(self, d_in, d_hidden, p=0.2):
        super().__init__()
        self.fc1 = nn.Linear(d_in, d_hidden, bias=False)
        self.bn1 = nn.BatchNorm1d(d_hidden)
        self.fc2 = nn.Linear(d_hidden, d_hidden, bias=False)
        self.bn2 = nn.BatchNorm1d(d_hidden)
        self.p = p

    def forward(self, x):
        x = F.relu(self.bn1(self.fc1(x)))
        x = self.fc2(x)
        x = F.dropout(x, p=self.p, training=self.training)  # BUG: NN403
        x = self.bn2(x)
        return F.relu(x)
