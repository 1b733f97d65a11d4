import torch
import torch.nn as nn
import torch.nn.functional as F


class ECGNet(nn.Module):
    def __init__(self, chs=(1, 32, 64), n_classes=5):
        super().__init__()
        layers = []
        for c_in, c_out in zip(chs[:-1], chs[1:]):
            layers += [nn.Conv1d(c_in, c_out, 5, padding=2, bias=False), nn.BatchNorm1d(c_out), nn.GELU()]
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(chs[-1], n_classes)

    def forward(self, x):
        return self.head(self.body(x).mean(-1))


class TabularNet(nn.Module):
    def __init__(self, n_in, hidden=256):
        super().__init__()
        self.block = nn.ModuleDict({"proj": nn.Linear(n_in, hidden), "norm": nn.LayerNorm(hidden)})
        self.fc = nn.Linear(hidden, hidden)
        self.bn = nn.BatchNorm1d(hidden)
        self.drop = nn.Dropout(0.2)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        h = torch.relu(self.block["norm"](self.block["proj"](x)))
        h = self.bn(F.relu(self.fc(h)))
        h = self.drop(h)
        return self.out(h)


def make_head(in_features, n_classes, p=0.3):
    return nn.Sequential(
        nn.Linear(in_features, 256, bias=False),
        nn.BatchNorm1d(256),
        nn.ReLU(inplace=True),
        nn.Dropout(p),
        nn.Linear(256, n_classes),
    )


class MLPBlock(nn.Module):
    def __init__(self, d, p=0.2):
        super().__init__()
        self.fc = nn.Linear(d, d, bias=False)
        self.bn = nn.BatchNorm1d(d)
        self.p = p

    def forward(self, x):
        x = self.bn(self.fc(x))
        x = F.dropout(F.relu(x), p=self.p, training=self.training)
        return x
