import torch
from torch import nn


class RetinaHead(nn.Module):
    def __init__(self, in_ch=256, num_anchors=9, num_classes=80):
        super().__init__()
        self.num_classes = num_classes
        self.cls_conv = nn.Conv2d(in_ch, num_anchors * num_classes, 3, padding=1)
        self.box_conv = nn.Conv2d(in_ch, num_anchors * 4, 3, padding=1)

    def forward(self, feats):
        cls_out, box_out = [], []
        for f in feats:
            N, _, H, W = f.shape
            cls = self.cls_conv(f)
            box = self.box_conv(f).permute(0, 2, 3, 1).reshape(N, -1, 4)
            cls = cls.reshape(N, -1, self.num_classes)  # BUG: NN101
            cls_out.append(cls)
            box_out.append(box)
        return torch.cat(cls_out, 1), torch.cat(box_out, 1)
