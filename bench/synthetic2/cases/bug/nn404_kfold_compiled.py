import numpy as np
import torch
import torch.nn as nn
from sklearn.model_selection import KFold

torch.manual_seed(0)
np.random.seed(0)


def make_model():
    return nn.Sequential(nn.Linear(30, 128), nn.BatchNorm1d(128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 2))


X = torch.randn(1000, 30)
Y = torch.randint(0, 2, (1000,))
scores = []
for fold, (tr, va) in enumerate(KFold(n_splits=5, shuffle=True, random_state=0).split(X)):
    model = torch.compile(make_model())
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(20):
        for i in range(0, len(tr), 64):
            idx = tr[i:i + 64]
            opt.zero_grad()
            nn.functional.cross_entropy(model(X[idx]), Y[idx]).backward()
            opt.step()
    with torch.no_grad():  # BUG: NN404
        acc = (model(X[va]).argmax(1) == Y[va]).float().mean().item()
    scores.append(acc)
print(np.mean(scores))
