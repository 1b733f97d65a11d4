import argparse

import torch
import torchvision
from torch import optim
from torch.utils.data import DataLoader
from torchvision import transforms as T

parser = argparse.ArgumentParser()
parser.add_argument("--data", default="/data/imagenet")
parser.add_argument("--epochs", type=int, default=90)
parser.add_argument("--lr", type=float, default=0.1)


def main():
    args = parser.parse_args()
    torch.manual_seed(0)
    tf = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor()])
    train_set = torchvision.datasets.ImageFolder(f"{args.data}/train", tf)
    train_loader = DataLoader(train_set, batch_size=256, shuffle=True, num_workers=8)
    model = torchvision.models.resnet50()
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=1e-4)
    scheduler = optim.lr_scheduler.StepLR(optimizer, 30, 0.1)
    criterion = torch.nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        scheduler.step()


if __name__ == "__main__":
    main()
