import torch
import torch.nn as nn
import torchvision
from torch.utils.data import DataLoader
from torchvision import transforms

from utils import adjust_lr

EPOCHS = 50
BASE_LR = 0.05


def main():
    torch.manual_seed(0)
    ds = torchvision.datasets.FashionMNIST("data", train=True, download=True, transform=transforms.ToTensor())
    dl = DataLoader(ds, batch_size=256, shuffle=True)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 10))
    opt = torch.optim.SGD(model.parameters(), lr=BASE_LR, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(EPOCHS):
        lr = adjust_lr(opt, epoch, BASE_LR)
        model.train()
        for x, y in dl:
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
        print(f"epoch {epoch} lr {lr:.4f}")


if __name__ == "__main__":
    main()
