import random

import torch
from torch.utils.data import DataLoader, Dataset


class Jitter(Dataset):
    def __init__(self, n=1000):
        self.x = torch.randn(n, 6)
        self.y = (self.x.sum(1) > 0).long()

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        scale = random.uniform(0.9, 1.1)
        return self.x[i] * scale, self.y[i]


def make_loader(batch_size=32):
    return DataLoader(Jitter(), batch_size=batch_size, shuffle=True)
