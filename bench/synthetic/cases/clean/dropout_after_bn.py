import torch
import torch.nn as nn
import torch.nn.functional as F


class MLPHead(nn.Module):
    def __init__(self, in_dim, hidden, out_dim, p=0.5):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(in_dim, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Dropout(p),
            nn.Linear(hidden, out_dim),
        )

    def forward(self, x):
        return self.body(x)


class DeepFM(nn.Module):
    """Dropout placed after BatchNorm + activation, never feeding a BatchNorm."""

    def __init__(self, field_dims, embed_dim=16, hidden=256, dropout=0.2):
        super().__init__()
        self.embedding = nn.Embedding(sum(field_dims), embed_dim)
        self.linear = nn.Embedding(sum(field_dims), 1)
        self.fc1 = nn.Linear(len(field_dims) * embed_dim, hidden, bias=False)
        self.bn1 = nn.BatchNorm1d(hidden)
        self.drop1 = nn.Dropout(dropout)
        self.head = MLPHead(hidden, hidden, 1, p=dropout)

    def forward(self, x):
        emb = self.embedding(x)
        fm = 0.5 * (emb.sum(1).pow(2) - emb.pow(2).sum(1)).sum(1, keepdim=True)
        h = self.fc1(emb.flatten(1))
        h = F.relu(self.bn1(h))
        h = self.drop1(h)
        return torch.sigmoid(self.linear(x).sum(1) + fm + self.head(h)).squeeze(1)
