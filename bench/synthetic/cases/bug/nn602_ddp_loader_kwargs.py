import argparse

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel


def setup(rank, world_size):
    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:29500", rank=rank, world_size=world_size)


def worker(rank, world_size, args):
    setup(rank, world_size)
    torch.manual_seed(args.seed)
    dataset = torch.load(args.data)
    loader_kwargs = dict(batch_size=args.batch_size, shuffle=True, drop_last=True)
    loader = torch.utils.data.DataLoader(dataset, **loader_kwargs)  # BUG: NN602
    model = torch.nn.Sequential(torch.nn.Linear(128, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    ddp_model = DistributedDataParallel(model)
    opt = torch.optim.Adam(ddp_model.parameters(), lr=args.lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        for x, y in loader:
            opt.zero_grad()
            loss_fn(ddp_model(x), y).backward()
            opt.step()
    dist.destroy_process_group()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="embeddings.pt")
    p.add_argument("--world-size", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    mp.spawn(worker, args=(args.world_size, args), nprocs=args.world_size)
