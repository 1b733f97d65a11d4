from collections import OrderedDict

import torch.nn as nn


class ProjectionHead(nn.Module):
    """Projection MLP for a SimCLR-style encoder."""

    def __init__(self, in_dim=2048, hidden_dim=2048, out_dim=128, p=0.2):
        super().__init__()
        self.net = nn.Sequential(
            OrderedDict(
                [
                    ("fc1", nn.Linear(in_dim, hidden_dim, bias=False)),
                    ("drop", nn.Dropout(p)),  # BUG: NN403
                    ("bn1", nn.BatchNorm1d(hidden_dim)),
                    ("relu", nn.ReLU(inplace=True)),
                    ("fc2", nn.Linear(hidden_dim, out_dim)),
                ]
            )
        )

    def forward(self, h):
        return self.net(h)


class Encoder(nn.Module):
    def __init__(self, backbone, feat_dim=2048):
        super().__init__()
        self.backbone = backbone
        self.head = ProjectionHead(feat_dim)

    def forward(self, x):
        h = self.backbone(x).flatten(1)
        return h, self.head(h)
