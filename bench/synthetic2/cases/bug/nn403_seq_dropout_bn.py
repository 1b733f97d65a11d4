from torch import nn


class MLPHead(nn.Module):
    def __init__(self, in_features, num_classes, p=0.5):
        super().__init__()
        self.head = nn.Sequential(
            nn.Linear(in_features, 512, bias=False),
            nn.ReLU(),
            nn.Dropout(p),  # BUG: NN403
            nn.BatchNorm1d(512),
            nn.Linear(512, num_classes),
        )

    def forward(self, x):
        return self.head(x)
