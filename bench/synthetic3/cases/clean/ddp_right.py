import argparse

import torch
import torch.distributed as dist
import torchvision
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/datasets/imagenet")
    ap.add_argument("--epochs", type=int, default=90)
    ap.add_argument("--local_rank", type=int, default=0)
    ap.add_argument("--distributed", action="store_true")
    args = ap.parse_args()

    if args.distributed:
        dist.init_process_group("nccl", init_method="env://")
    torch.cuda.set_device(args.local_rank)
    torch.manual_seed(0)
    tf = torchvision.transforms.ToTensor()
    train_ds = torchvision.datasets.ImageFolder(f"{args.data}/train", tf)
    val_ds = torchvision.datasets.ImageFolder(f"{args.data}/val", tf)
    train_sampler = DistributedSampler(train_ds) if args.distributed else None
    train_loader = DataLoader(train_ds, batch_size=256, shuffle=(train_sampler is None), sampler=train_sampler)
    val_loader = DataLoader(val_ds, batch_size=256, shuffle=False)
    model = torchvision.models.resnet50().cuda()
    if args.distributed:
        model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[args.local_rank])
    criterion = torch.nn.CrossEntropyLoss().cuda()
    optimizer = torch.optim.SGD(model.parameters(), 0.1, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    for epoch in range(args.epochs):
        if train_sampler is not None:
            train_sampler.set_epoch(epoch)
        model.train()
        for images, target in train_loader:
            loss = criterion(model(images.cuda()), target.cuda())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        model.eval()
        with torch.no_grad():
            correct = sum((model(x.cuda()).argmax(1) == y.cuda()).sum().item() for x, y in val_loader)
        print(epoch, correct)


if __name__ == "__main__":
    main()
