import torch

from models import TextClassifier
from trainer import Trainer


def collate(batch):
    labels = torch.tensor([b[0] for b in batch])
    seqs = [torch.tensor(b[1]) for b in batch]
    offsets = torch.tensor([0] + [len(s) for s in seqs[:-1]]).cumsum(0)
    return torch.cat(seqs), offsets, labels


if __name__ == "__main__":
    torch.manual_seed(0)
    data = [(i % 4, list(range(i % 7, i % 7 + 5))) for i in range(1000)]
    loader = torch.utils.data.DataLoader(data, batch_size=32, shuffle=True, collate_fn=collate)
    trainer = Trainer(TextClassifier(vocab=100), loader)
    for _ in range(5):
        trainer.epoch()
