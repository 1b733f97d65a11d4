import torch.nn as nn


def conv_bn_relu(cin, cout, stride=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1),  # BUG: NN402
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class VGGish(nn.Module):
    def __init__(self, n_cls=10):
        super().__init__()
        self.features = nn.Sequential(conv_bn_relu(3, 64), conv_bn_relu(64, 128, 2), conv_bn_relu(128, 256, 2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(256, n_cls)

    def forward(self, x):
        return self.fc(self.pool(self.features(x)).flatten(1))
