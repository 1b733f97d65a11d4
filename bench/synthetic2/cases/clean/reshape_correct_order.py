import torch
import torch.nn as nn


class PatchMerger(nn.Module):
    """(B, C, H, W) feature map to (B, H*W, C) tokens and back."""

    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.mix = nn.Linear(dim, dim)

    def forward(self, x):
        B, C, H, W = x.shape
        tokens = x.permute(0, 2, 3, 1).reshape(B, H * W, C)
        tokens = self.mix(self.norm(tokens))
        return tokens.transpose(1, 2).reshape(B, C, H, W)


class Head(nn.Module):
    def __init__(self, in_ch=256, num_anchors=9, num_classes=80):
        super().__init__()
        self.num_classes = num_classes
        self.cls_conv = nn.Conv2d(in_ch, num_anchors * num_classes, 3, padding=1)

    def forward(self, f):
        N = f.shape[0]
        cls = self.cls_conv(f).permute(0, 2, 3, 1).contiguous()
        return cls.view(N, -1, self.num_classes)
