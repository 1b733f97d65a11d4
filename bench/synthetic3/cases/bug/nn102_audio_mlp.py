import torch
import torch.nn as nn
import torch.nn.functional as F


class KeywordSpotter(nn.Module):
    """Tiny keyword-spotting net over (batch, 1, mels, frames) log-mel patches."""

    def __init__(self, n_mels=40, n_frames=32, n_words=12):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, kernel_size=3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.hidden = nn.Linear(8 * (n_mels // 2) * (n_frames // 2), 128)
        self.out = nn.Linear(128, n_words)

    def forward(self, spec):
        h = self.pool(F.relu(self.conv(spec)))
        h = torch.flatten(h, start_dim=0)  # BUG: NN102
        h = F.relu(self.hidden(h))
        return self.out(h)
