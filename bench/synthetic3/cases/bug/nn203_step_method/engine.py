import torch
import torch.nn.functional as F


class Engine:
    """Owns the network and its optimiser; the loop lives in train_epoch."""

    def __init__(self, net, lr=1e-3, device="cpu"):
        self.net = net.to(device)
        self.device = device
        self.optim = torch.optim.Adam(self.net.parameters(), lr=lr)

    def _step(self, batch):
        x, y = (t.to(self.device) for t in batch)
        loss = F.cross_entropy(self.net(x), y)
        loss.backward()
        self.optim.step()  # BUG: NN203
        return loss.detach()

    def train_epoch(self, loader):
        self.net.train()
        losses = [self._step(batch) for batch in loader]
        return torch.stack(losses).mean().item()
