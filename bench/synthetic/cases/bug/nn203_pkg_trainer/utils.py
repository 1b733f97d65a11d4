import random

import numpy as np
import torch


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class Meter:
    def __init__(self):
        self.total = 0.0
        self.n = 0

    def add(self, value: float, n: int = 1) -> None:
        self.total += value * n
        self.n += n

    @property
    def avg(self) -> float:
        return self.total / max(1, self.n)
