import torch
import torch.distributed as dist
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

CONFIG = {"batch_size": 64, "epochs": 3, "lr": 1e-3}


def run(local_rank):
    dist.init_process_group(backend="nccl")
    torch.manual_seed(42)
    dataset = TensorDataset(torch.randn(10000, 32), torch.randint(0, 2, (10000,)))
    loader_kwargs = dict(batch_size=CONFIG["batch_size"], shuffle=True, drop_last=True)
    train_loader = DataLoader(dataset, **loader_kwargs)  # BUG: NN602
    model = nn.parallel.DistributedDataParallel(nn.Linear(32, 2).cuda(), device_ids=[local_rank])
    opt = torch.optim.Adam(model.parameters(), lr=CONFIG["lr"])
    for epoch in range(CONFIG["epochs"]):
        for x, y in train_loader:
            opt.zero_grad()
            nn.functional.cross_entropy(model(x.cuda()), y.cuda()).backward()
            opt.step()
