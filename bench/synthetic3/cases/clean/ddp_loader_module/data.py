from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler
from torchvision import datasets, transforms


def build_loaders(root, batch_size):
    tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.ToTensor()])
    train_ds = datasets.ImageFolder(f"{root}/train", tf)
    val_ds = datasets.ImageFolder(f"{root}/val", transforms.ToTensor())
    train_sampler = DistributedSampler(train_ds)
    train_loader = DataLoader(train_ds, batch_size=batch_size, sampler=train_sampler, num_workers=8)
    val_loader = DataLoader(val_ds, batch_size=batch_size, sampler=DistributedSampler(val_ds, shuffle=False))
    return train_loader, val_loader, train_sampler
