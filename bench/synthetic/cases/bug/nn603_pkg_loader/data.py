import torch
from torch.utils.data import DataLoader, DistributedSampler
from torchvision import datasets, transforms


def build_train_loader(root, batch_size, world_size, rank):
    tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(), transforms.ToTensor()])
    ds = datasets.ImageFolder(root, transform=tf)
    sampler = DistributedSampler(ds, num_replicas=world_size, rank=rank, shuffle=True)
    return DataLoader(ds, batch_size=batch_size, sampler=sampler, num_workers=8, pin_memory=True)


def build_val_loader(root, batch_size):
    tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor()])
    return DataLoader(datasets.ImageFolder(root, transform=tf), batch_size=batch_size)
