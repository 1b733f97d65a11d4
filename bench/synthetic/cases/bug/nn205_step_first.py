import torch
import torch.nn as nn
import torch.nn.functional as F


class LinearProbe(nn.Module):
    def __init__(self, feat_dim, n_classes):
        super().__init__()
        self.bn = nn.BatchNorm1d(feat_dim, affine=False)
        self.fc = nn.Linear(feat_dim, n_classes)

    def forward(self, feats):
        return self.fc(self.bn(feats))


def train_probe(encoder, loader, n_classes, epochs=90, lr=0.1):
    encoder.eval()
    probe = LinearProbe(encoder.out_dim, n_classes).cuda()
    opt = torch.optim.SGD(probe.parameters(), lr=lr, momentum=0.9, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    for epoch in range(epochs):
        probe.train()
        for img, label in loader:
            img, label = img.cuda(), label.cuda()
            with torch.no_grad():
                feats = encoder(img)
            opt.zero_grad()
            opt.step()  # BUG: NN205
            loss = F.cross_entropy(probe(feats), label)
            loss.backward()
        sched.step()
    return probe
