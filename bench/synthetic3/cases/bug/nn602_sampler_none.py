import argparse

import torch
import torch.distributed as dist
import torchvision
from torch.utils.data import DataLoader


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/datasets/imagenet/train")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--epochs", type=int, default=90)
    ap.add_argument("--local_rank", type=int, default=0)
    args = ap.parse_args()

    dist.init_process_group("nccl", init_method="env://")
    torch.cuda.set_device(args.local_rank)
    torch.manual_seed(0)
    train_ds = torchvision.datasets.ImageFolder(args.data, torchvision.transforms.ToTensor())
    train_sampler = None
    train_loader = DataLoader(
        train_ds, batch_size=args.batch_size, shuffle=(train_sampler is None), sampler=train_sampler  # BUG: NN602
    )
    model = torchvision.models.resnet50().cuda()
    model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[args.local_rank])
    criterion = torch.nn.CrossEntropyLoss().cuda()
    optimizer = torch.optim.SGD(model.parameters(), 0.1, momentum=0.9, weight_decay=1e-4)
    for epoch in range(args.epochs):
        model.train()
        for images, target in train_loader:
            loss = criterion(model(images.cuda()), target.cuda())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


if __name__ == "__main__":
    main()
