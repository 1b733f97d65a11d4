import argparse

import torch
import torch.nn as nn
import torchvision

from utils import AverageMeter


def train_epoch(loader, model, criterion, optimizer, epoch):
    losses = AverageMeter("Loss", ":.4e")
    model.train()
    for i, (images, target) in enumerate(loader):
        images, target = images.cuda(non_blocking=True), target.cuda(non_blocking=True)
        output = model(images)
        loss = criterion(output, target)
        losses.update(loss, images.size(0))  # BUG: NN501
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if i % 10 == 0:
            print(f"Epoch [{epoch}][{i}/{len(loader)}] {losses}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=90)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = torchvision.models.resnet18().cuda()
    loader = torch.utils.data.DataLoader(torchvision.datasets.FakeData(transform=torchvision.transforms.ToTensor()), batch_size=32)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for epoch in range(args.epochs):
        train_epoch(loader, model, nn.CrossEntropyLoss().cuda(), optimizer, epoch)


if __name__ == "__main__":
    main()
