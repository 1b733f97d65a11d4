import os

import torch
import torch.distributed as dist
import torchvision
from torch.nn.parallel import DistributedDataParallel as DDP

from data import build_loaders


def main():
    dist.init_process_group("nccl")
    rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(rank)
    torch.manual_seed(42)
    train_loader, val_loader = build_loaders("/data/imagenette", 64)
    model = DDP(torchvision.models.resnet18(num_classes=10).cuda(), device_ids=[rank])
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    crit = torch.nn.CrossEntropyLoss()
    for epoch in range(30):  # BUG: NN603
        model.train()
        for x, y in train_loader:
            opt.zero_grad()
            crit(model(x.cuda()), y.cuda()).backward()
            opt.step()
        model.eval()
        correct = 0
        with torch.no_grad():
            for x, y in val_loader:
                correct += (model(x.cuda()).argmax(1) == y.cuda()).sum().item()
        print(epoch, correct)


if __name__ == "__main__":
    main()
