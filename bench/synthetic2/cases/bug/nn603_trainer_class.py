import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler


class DDPTrainer:
    def __init__(self, model, train_set, rank, world_size, batch_size=32):
        self.rank = rank
        self.model = DDP(model.to(rank), device_ids=[rank])
        self.sampler = DistributedSampler(train_set, num_replicas=world_size, rank=rank)  # BUG: NN603
        self.loader = DataLoader(train_set, batch_size=batch_size, sampler=self.sampler, pin_memory=True)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        self.crit = nn.CrossEntropyLoss()

    def _run_epoch(self, epoch):
        for x, y in self.loader:
            x, y = x.to(self.rank), y.to(self.rank)
            self.opt.zero_grad()
            self.crit(self.model(x), y).backward()
            self.opt.step()

    def train(self, max_epochs):
        for epoch in range(max_epochs):
            self._run_epoch(epoch)
            if self.rank == 0:
                torch.save(self.model.module.state_dict(), "ckpt.pt")


def main(rank, world_size, model, train_set):
    dist.init_process_group("nccl", rank=rank, world_size=world_size)
    torch.manual_seed(0)
    DDPTrainer(model, train_set, rank, world_size).train(50)
    dist.destroy_process_group()
