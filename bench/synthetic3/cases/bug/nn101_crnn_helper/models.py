import torch.nn as nn

from utils import to_sequence


class CRNN(nn.Module):
    def __init__(self, n_classes, hidden=128):
        super().__init__()
        self.cnn = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.MaxPool2d((2, 1)),
        )
        self.rnn = nn.GRU(64 * 8, hidden, bidirectional=True)
        self.proj = nn.Linear(2 * hidden, n_classes)

    def forward(self, images):
        seq = to_sequence(self.cnn(images))
        out, _ = self.rnn(seq)
        return self.proj(out).log_softmax(-1)
