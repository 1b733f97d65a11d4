import argparse

import torch
import torchvision
from torch import optim
from torch.utils.data import DataLoader
from torchvision import transforms as T

parser = argparse.ArgumentParser(description="CIFAR-100 baseline")
parser.add_argument("--epochs", type=int, default=40)
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--batch-size", type=int, default=128)


def main():
    args = parser.parse_args()
    torch.manual_seed(1)
    tf = T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor()])
    train_set = torchvision.datasets.CIFAR100("./data", train=True, transform=tf, download=True)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, num_workers=2)
    model = torchvision.models.resnet34(num_classes=100)
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    scheduler = optim.lr_scheduler.StepLR(optimizer, 30, 0.1)  # BUG: NN211
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
