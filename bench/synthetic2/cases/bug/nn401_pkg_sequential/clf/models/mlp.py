from torch import nn


def build_mlp(in_dim, hidden, n_classes, p=0.3):
    return nn.Sequential(
        nn.Linear(in_dim, hidden),
        nn.ReLU(),
        nn.Dropout(p),
        nn.Linear(hidden, n_classes),
        nn.Softmax(dim=1),  # BUG: NN401
    )
