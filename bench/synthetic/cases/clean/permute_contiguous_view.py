import math

import torch
import torch.nn as nn


class MultiHeadAttention(nn.Module):
    def __init__(self, dim: int, heads: int = 8, attn_drop: float = 0.0):
        super().__init__()
        self.heads = heads
        self.dim_head = dim // heads
        self.to_qkv = nn.Linear(dim, dim * 3, bias=False)
        self.proj = nn.Linear(dim, dim)
        self.attn_drop = nn.Dropout(attn_drop)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.to_qkv(x).reshape(B, N, 3, self.heads, self.dim_head).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.dim_head))
        attn = self.attn_drop(attn.softmax(dim=-1))
        out = (attn @ v).permute(0, 2, 1, 3).contiguous()
        out = out.view(B, N, C)
        return self.proj(out)


class PatchEmbed(nn.Module):
    def __init__(self, patch=16, in_ch=3, dim=384):
        super().__init__()
        self.proj = nn.Conv2d(in_ch, dim, kernel_size=patch, stride=patch)

    def forward(self, img):
        x = self.proj(img)
        b, c, h, w = x.shape
        x = x.permute(0, 2, 3, 1).reshape(b, h * w, c)
        return x


class TinyViT(nn.Module):
    def __init__(self, dim=384, depth=6, n_classes=1000):
        super().__init__()
        self.embed = PatchEmbed(dim=dim)
        self.blocks = nn.ModuleList([MultiHeadAttention(dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, n_classes)

    def forward(self, img):
        x = self.embed(img)
        for blk in self.blocks:
            x = x + blk(x)
        x = self.norm(x)
        return self.head(x.mean(1))
