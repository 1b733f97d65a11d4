import os

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler


class SamplerEpochCallback:
    def __init__(self, sampler):
        self.sampler = sampler

    def on_epoch_start(self, epoch):
        self.sampler.set_epoch(epoch)


def main():
    dist.init_process_group("nccl")
    rank = int(os.environ["LOCAL_RANK"])
    torch.manual_seed(0)
    ds = TensorDataset(torch.randn(2048, 16), torch.randint(0, 4, (2048,)))
    sampler = DistributedSampler(ds, shuffle=True)
    loader = DataLoader(ds, batch_size=64, sampler=sampler)
    callbacks = [SamplerEpochCallback(sampler)]
    model = DDP(torch.nn.Linear(16, 4).cuda(rank), device_ids=[rank])
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for epoch in range(10):
        for cb in callbacks:
            cb.on_epoch_start(epoch)
        for x, y in loader:
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x.cuda(rank)), y.cuda(rank)).backward()
            opt.step()


if __name__ == "__main__":
    main()
