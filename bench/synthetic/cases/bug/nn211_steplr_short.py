import argparse

import torch
import torch.nn as nn
import torchvision
import torchvision.transforms as T


def get_loaders(root, bs):
    tf = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor()])
    ds = torchvision.datasets.ImageFolder(root, transform=tf)
    return torch.utils.data.DataLoader(ds, batch_size=bs, shuffle=True, num_workers=4)


def main():
    parser = argparse.ArgumentParser(description="fine-tune on flowers")
    parser.add_argument("--data", default="flowers/train")
    parser.add_argument("--epochs", default=20, type=int)
    parser.add_argument("--lr", default=0.01, type=float)
    parser.add_argument("--batch-size", default=64, type=int)
    args = parser.parse_args()
    torch.manual_seed(0)

    model = torchvision.models.resnet18(weights="DEFAULT")
    model.fc = nn.Linear(model.fc.in_features, 102)
    model = model.cuda()
    loader = get_loaders(args.data, args.batch_size)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)  # BUG: NN211
    criterion = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        model.train()
        for images, target in loader:
            images, target = images.cuda(), target.cuda()
            loss = criterion(model(images), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        scheduler.step()
        print(f"epoch {epoch}: loss {loss.item():.3f} lr {scheduler.get_last_lr()[0]}")


if __name__ == "__main__":
    main()
