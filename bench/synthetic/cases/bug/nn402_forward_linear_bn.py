import torch
import torch.nn as nn
import torch.nn.functional as F


class TabularNet(nn.Module):
    """MLP over standardized numeric columns plus embedded categoricals."""

    def __init__(self, n_num, cards, emb_dim=8, hidden=(256, 128), n_out=1):
        super().__init__()
        self.embs = nn.ModuleList([nn.Embedding(c, emb_dim) for c in cards])
        d_in = n_num + emb_dim * len(cards)
        self.fc1 = nn.Linear(d_in, hidden[0])  # BUG: NN402
        self.bn1 = nn.BatchNorm1d(hidden[0])
        self.fc2 = nn.Linear(hidden[0], hidden[1], bias=False)
        self.bn2 = nn.BatchNorm1d(hidden[1])
        self.out = nn.Linear(hidden[1], n_out)

    def forward(self, x_num, x_cat):
        cats = [emb(x_cat[:, i]) for i, emb in enumerate(self.embs)]
        x = torch.cat([x_num] + cats, dim=1)
        x = self.fc1(x)
        x = F.relu(self.bn1(x))
        x = F.relu(self.bn2(self.fc2(x)))
        return self.out(x)
