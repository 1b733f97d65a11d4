import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler


class DDPTrainer:
    def __init__(self, model, train_ds, rank, world_size, batch_size=32, epochs=20):
        self.rank = rank
        self.epochs = epochs
        self.model = DistributedDataParallel(model.to(rank), device_ids=[rank])
        sampler = DistributedSampler(train_ds, num_replicas=world_size, rank=rank, shuffle=True)
        loader_kwargs = dict(batch_size=batch_size, sampler=sampler, num_workers=2, pin_memory=True)
        self.loader = DataLoader(train_ds, **loader_kwargs)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)

    def fit(self):
        for epoch in range(self.epochs):
            self.loader.sampler.set_epoch(epoch)
            self.model.train()
            for x, y in self.loader:
                self.opt.zero_grad()
                loss = torch.nn.functional.cross_entropy(self.model(x.to(self.rank)), y.to(self.rank))
                loss.backward()
                self.opt.step()
        dist.barrier()
