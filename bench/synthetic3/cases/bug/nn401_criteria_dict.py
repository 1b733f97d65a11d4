import torch
import torch.nn as nn


class Detector(nn.Module):
    def __init__(self, n_cls=20, d=256):
        super().__init__()
        self.neck = nn.Sequential(nn.Linear(d, d), nn.ReLU())
        self.cls_head = nn.Linear(d, n_cls)
        self.obj_head = nn.Linear(d, 1)

    def forward(self, feats):
        h = self.neck(feats)
        return {"cls": self.cls_head(h), "obj": self.obj_head(h).squeeze(-1)}


criteria = {"cls": nn.CrossEntropyLoss(), "obj": nn.BCEWithLogitsLoss()}


def compute_loss(out, cls_t, obj_t):
    obj = torch.sigmoid(out["obj"])  # BUG: NN401
    return criteria["cls"](out["cls"], cls_t) + criteria["obj"](obj, obj_t)


def train(model, loader, optimizer, epochs):
    model.train()
    for _ in range(epochs):
        for feats, cls_t, obj_t in loader:
            optimizer.zero_grad()
            loss = compute_loss(model(feats), cls_t, obj_t)
            loss.backward()
            optimizer.step()
