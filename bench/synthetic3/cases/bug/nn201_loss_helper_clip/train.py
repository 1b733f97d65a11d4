import torch
import torch.nn as nn

from losses import detection_losses, total_loss


class BoxHead(nn.Module):
    def __init__(self, d=256, n_cls=21):
        super().__init__()
        self.box = nn.Linear(d, 4)
        self.cls = nn.Linear(d, n_cls)

    def forward(self, feats):
        return self.box(feats).sigmoid(), self.cls(feats)


def train(epochs=12):
    torch.manual_seed(7)
    head = BoxHead()
    opt = torch.optim.Adam(head.parameters(), lr=1e-4)
    for epoch in range(epochs):
        for _ in range(100):
            feats = torch.randn(16, 256)
            gt_boxes = torch.rand(16, 4)
            gt_labels = torch.randint(0, 21, (16,))
            boxes, logits = head(feats)
            parts = detection_losses(boxes, logits, gt_boxes, gt_labels)
            loss = total_loss(parts)
            opt.zero_grad()
            loss.backward()
            opt.step()


if __name__ == "__main__":
    train()
