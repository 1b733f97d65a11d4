import torch
import torch.nn.functional as F


class AverageMeter:
    """Computes and stores the average and current value."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.val = 0
        self.sum = 0
        self.count = 0
        self.avg = 0

    def update(self, val, n=1):
        self.val = val
        self.sum += val * n
        self.count += n
        self.avg = self.sum / self.count


def train_one_epoch(model, loader, optimizer, epoch):
    losses = AverageMeter()
    model.train()
    for i, (images, target) in enumerate(loader):
        output = model(images)
        loss = F.cross_entropy(output, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.update(loss, images.size(0))  # BUG: NN501
        if i % 50 == 0:
            print(f"Epoch {epoch} [{i}/{len(loader)}] loss {losses.avg:.4f}")
    return losses.avg
