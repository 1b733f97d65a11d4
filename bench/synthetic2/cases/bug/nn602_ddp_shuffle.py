import os

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


def main():
    dist.init_process_group("nccl")
    rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(rank)
    torch.manual_seed(0)
    ds = datasets.FashionMNIST("data", train=True, download=False, transform=transforms.ToTensor())
    loader = DataLoader(ds, batch_size=128, shuffle=True, num_workers=4, pin_memory=True)  # BUG: NN602
    model = DDP(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10)).cuda(rank), device_ids=[rank])
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(5):
        for x, y in loader:
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x.cuda(rank)), y.cuda(rank)).backward()
            opt.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
