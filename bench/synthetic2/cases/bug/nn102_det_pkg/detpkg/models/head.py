import torch
from torch import nn


class RoIHead(nn.Module):
    """Box head over pooled RoI features of shape (R, C, 7, 7)."""

    def __init__(self, in_ch=256, rep=1024, num_classes=21):
        super().__init__()
        self.fc6 = nn.Linear(in_ch * 7 * 7, rep)
        self.fc7 = nn.Linear(rep, rep)
        self.cls_score = nn.Linear(rep, num_classes)
        self.bbox_pred = nn.Linear(rep, num_classes * 4)

    def forward(self, roi_feats):
        x = torch.flatten(roi_feats)  # BUG: NN102
        x = torch.relu(self.fc6(x))
        x = torch.relu(self.fc7(x))
        return self.cls_score(x), self.bbox_pred(x)
