"""Multi-label tagger for chest x-rays (14 findings)."""
import torch
import torch.nn as nn
import torchvision


class Tagger(nn.Module):
    def __init__(self, n_labels=14):
        super().__init__()
        self.backbone = torchvision.models.densenet121(weights="DEFAULT")
        self.backbone.classifier = nn.Linear(self.backbone.classifier.in_features, n_labels)

    def forward(self, x):
        return self.backbone(x)


def train_one_epoch(model, loader, optimizer, pos_weight, device):
    criterion = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    model.train()
    for step, (img, labels) in enumerate(loader):
        img, labels = img.to(device), labels.float().to(device)
        logits = model(img)
        loss = criterion(torch.sigmoid(logits), labels)  # BUG: NN401
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 100 == 0:
            print(step, loss.item())
