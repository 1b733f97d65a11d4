import torch.nn as nn


class ECGNet(nn.Module):
    def __init__(self, chs=(1, 32, 64, 128), n_classes=5):
        super().__init__()
        layers = []
        for c_in, c_out in zip(chs[:-1], chs[1:]):
            layers += [
                nn.Conv1d(c_in, c_out, kernel_size=5, padding=2),  # BUG: NN402
                nn.BatchNorm1d(c_out),
                nn.GELU(),
                nn.MaxPool1d(2),
            ]
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(chs[-1], n_classes)

    def forward(self, x):
        return self.head(self.body(x).mean(-1))
