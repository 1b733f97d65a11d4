import argparse

import torch
import torch.nn as nn
from torchvision import datasets, transforms

from models import make_cnn
from utils import AverageMeter, accuracy, seed_everything


def train_epoch(model, loader, optimizer, criterion, device):
    model.train()
    meter = AverageMeter()
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        meter.update(loss.item(), x.size(0))
    return meter.avg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--device", default="cuda")
    args = ap.parse_args()
    seed_everything(0)
    tf = transforms.Compose([transforms.RandomHorizontalFlip(), transforms.ToTensor()])
    train_set = datasets.CIFAR10("data", train=True, download=True, transform=tf)
    test_set = datasets.CIFAR10("data", train=False, download=True, transform=transforms.ToTensor())
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=128, shuffle=True)
    test_loader = torch.utils.data.DataLoader(test_set, batch_size=256)
    model = make_cnn().to(args.device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=args.epochs // 3, gamma=0.1)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        loss = train_epoch(model, train_loader, optimizer, criterion, args.device)
        scheduler.step()
        print(f"epoch {epoch}: loss {loss:.4f} test acc {accuracy(model, test_loader, args.device):.4f}")


if __name__ == "__main__":
    main()
