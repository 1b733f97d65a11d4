from functools import partial

import torch
import torch.nn as nn
import torch.nn.functional as F


class Detector(nn.Module):
    def __init__(self, n_cls=20, d=256):
        super().__init__()
        self.neck = nn.Sequential(nn.Linear(d, d), nn.ReLU())
        self.cls_head = nn.Linear(d, n_cls)
        self.obj_head = nn.Linear(d, 1)

    def forward(self, feats):
        h = self.neck(feats)
        return {"cls": self.cls_head(h), "obj": self.obj_head(h).squeeze(-1)}

    @torch.no_grad()
    def predict(self, feats):
        out = self(feats)
        return out["cls"].softmax(-1), torch.sigmoid(out["obj"])


criteria = {"cls": nn.CrossEntropyLoss(), "obj": nn.BCEWithLogitsLoss()}
nll = partial(F.nll_loss, ignore_index=-100)


def compute_loss(out, cls_t, obj_t):
    return criteria["cls"](out["cls"], cls_t) + criteria["obj"](out["obj"], obj_t)


def distill_loss(student_logits, teacher_logits, T=2.0):
    soft_targets = F.softmax(teacher_logits / T, dim=-1)
    return F.cross_entropy(student_logits / T, soft_targets) * T * T


def tagger_loss(emissions, tags):
    logp = emissions.log_softmax(-1)
    return nll(logp.reshape(-1, logp.size(-1)), tags.reshape(-1))


def prob_loss(model, x, y):
    probs = torch.sigmoid(model(x))
    return F.binary_cross_entropy(probs, y)


def train(model, loader, optimizer, epochs):
    model.train()
    for _ in range(epochs):
        for feats, cls_t, obj_t in loader:
            optimizer.zero_grad()
            loss = compute_loss(model(feats), cls_t, obj_t)
            loss.backward()
            optimizer.step()
