"""Token-mixing block for a small hybrid CNN/transformer classifier."""
import torch
import torch.nn as nn


class TokenMixer(nn.Module):
    def __init__(self, channels: int, heads: int = 4):
        super().__init__()
        self.attn = nn.MultiheadAttention(channels, heads, batch_first=True)
        self.norm = nn.LayerNorm(channels)

    def _to_tokens(self, fmap):
        n, c, h, w = fmap.size()
        return fmap.reshape(n, h * w, c)  # BUG: NN101

    def forward(self, fmap):
        n, c, h, w = fmap.shape
        tokens = self.norm(self._to_tokens(fmap))
        mixed, _ = self.attn(tokens, tokens, tokens)
        return mixed.transpose(1, 2).reshape(n, c, h, w) + fmap


class HybridNet(nn.Module):
    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 64, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
        )
        self.mixer = TokenMixer(64)
        self.head = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.mixer(self.stem(x))
        return self.head(x.mean(dim=(2, 3)))
