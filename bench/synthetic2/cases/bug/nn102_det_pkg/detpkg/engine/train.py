import torch
import torch.nn.functional as F

from ..models import RoIHead


def train_head(feats, labels, boxes, epochs=5):
    torch.manual_seed(0)
    head = RoIHead()
    opt = torch.optim.SGD(head.parameters(), lr=0.01, momentum=0.9)
    for epoch in range(epochs):
        for f, y, b in zip(feats, labels, boxes):
            scores, deltas = head(f)
            loss = F.cross_entropy(scores, y) + F.smooth_l1_loss(deltas[:, :4], b)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return head
