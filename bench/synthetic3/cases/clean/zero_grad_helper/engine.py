import torch
import torch.nn.functional as F

from utils import reset_grads


class Engine:
    def __init__(self, net, lr=1e-3):
        self.net = net
        self.params = [p for p in net.parameters() if p.requires_grad]
        self.optim = torch.optim.Adam(self.params, lr=lr)

    def _step(self, batch):
        x, y = batch
        reset_grads(self.params)
        loss = F.cross_entropy(self.net(x), y)
        loss.backward()
        self.optim.step()
        return loss.detach()

    def train_epoch(self, loader):
        self.net.train()
        losses = [self._step(batch) for batch in loader]
        return torch.stack(losses).mean().item()
