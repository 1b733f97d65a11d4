import torch
import torch.nn as nn


class CRNN(nn.Module):
    """Text recognizer: conv features read column by column by an LSTM."""

    def __init__(self, n_classes, hidden=256):
        super().__init__()
        self.cnn = nn.Sequential(
            nn.Conv2d(1, 64, 3, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(inplace=True),
            nn.MaxPool2d((2, 1)),
        )
        self.rnn = nn.LSTM(128 * 8, hidden, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(hidden * 2, n_classes)

    def forward(self, images):
        feat = self.cnn(images)
        b, c, h, w = feat.size()
        seq = feat.view(b, w, c * h)  # BUG: NN101
        out, _ = self.rnn(seq)
        return self.fc(out).log_softmax(-1)
