import torch
import torch.nn as nn


class Attention(nn.Module):
    def __init__(self, dim, heads=8):
        super().__init__()
        self.heads = heads
        self.dh = dim // heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, T, C = x.shape
        qkv = self.qkv(x).reshape(B, T, 3, self.heads, self.dh).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = (q @ k.transpose(-2, -1)) * self.dh ** -0.5
        y = (attn.softmax(-1) @ v).transpose(1, 2).reshape(B, T, C)
        return self.proj(y)


def to_tokens(fmap):
    n, c, h, w = fmap.shape
    return fmap.flatten(2).transpose(1, 2)


def to_sequence(feat):
    b, c, h, w = feat.size()
    return feat.view(b, c * h, w).permute(2, 0, 1)


def from_tokens(tokens, h, w):
    n, hw, c = tokens.shape
    return tokens.transpose(1, 2).reshape(n, c, h, w)


class PatchEmbed(nn.Module):
    def __init__(self, patch=16, in_ch=3, dim=384):
        super().__init__()
        self.proj = nn.Conv2d(in_ch, dim, patch, stride=patch)

    def forward(self, img):
        x = self.proj(img)
        b, c, h, w = x.shape
        return x.reshape(b, c, h * w).permute(0, 2, 1)
