import os

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from dataset import SpeechDataset
from model import ConformerCTC


def main():
    dist.init_process_group(backend="nccl")
    rank = dist.get_rank()
    local_rank = int(os.environ["LOCAL_RANK"])
    torch.cuda.set_device(local_rank)
    torch.manual_seed(1)

    train_ds = SpeechDataset("manifests/train.jsonl")
    sampler = DistributedSampler(train_ds, shuffle=True)
    loader = DataLoader(train_ds, batch_size=16, sampler=sampler, collate_fn=train_ds.collate, num_workers=8)

    model = DDP(ConformerCTC(vocab_size=128).cuda(), device_ids=[local_rank])
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    for epoch in range(50):  # BUG: NN603
        model.train()
        for feats, feat_lens, targets, target_lens in loader:
            log_probs, out_lens = model(feats.cuda(), feat_lens.cuda())
            loss = ctc(log_probs.transpose(0, 1), targets, out_lens, target_lens)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if rank == 0:
            print(f"epoch {epoch}: ctc {loss.item():.3f}")


if __name__ == "__main__":
    main()
