import json

import torch
from torch.utils.data import Dataset


class JsonlDataset(Dataset):
    def __init__(self, records, vocab):
        self.records = records
        self.vocab = vocab

    def __len__(self):
        return len(self.records)

    def __getitem__(self, i):
        r = self.records[i]
        ids = [self.vocab.get(t, 1) for t in r["tokens"]][:128]
        ids = ids + [0] * (128 - len(ids))
        return torch.tensor(ids), torch.tensor(r["label"])


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f]
