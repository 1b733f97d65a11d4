import torch
import torchvision
from torch.utils.data import DataLoader
from torchvision import transforms

from trainer import AmpTrainer

if __name__ == "__main__":
    torch.manual_seed(0)
    tfm = transforms.Compose([transforms.RandomHorizontalFlip(), transforms.ToTensor()])
    ds = torchvision.datasets.CIFAR10("data", train=True, download=True, transform=tfm)
    loader = DataLoader(ds, batch_size=128, shuffle=True, num_workers=4, pin_memory=True)
    net = torchvision.models.resnet18(num_classes=10)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    trainer = AmpTrainer(net, opt)
    for epoch in range(30):
        trainer.train_epoch(loader)
