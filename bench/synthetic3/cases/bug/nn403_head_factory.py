import torch.nn as nn
import torchvision


def make_head(in_features, n_classes, p=0.3):
    return nn.Sequential(
        nn.Linear(in_features, 256, bias=False),
        nn.Dropout(p),  # BUG: NN403
        nn.BatchNorm1d(256),
        nn.ReLU(inplace=True),
        nn.Linear(256, n_classes),
    )


def build_model(n_classes):
    net = torchvision.models.efficientnet_b0(weights=None)
    net.classifier = make_head(1280, n_classes)
    return net
