import random

import torch
from torch.utils.data import DataLoader

from data import JsonlDataset, read_jsonl
from model import BagOfEmbeddings


def split(records, frac=0.9):
    random.shuffle(records)  # BUG: NN301
    k = int(len(records) * frac)
    return records[:k], records[k:]


def main():
    torch.manual_seed(0)
    records = read_jsonl("ag_news.jsonl")
    vocab = {w: i + 2 for i, w in enumerate(sorted({t for r in records for t in r["tokens"]}))}
    train_recs, val_recs = split(records)
    train_dl = DataLoader(JsonlDataset(train_recs, vocab), batch_size=64, shuffle=True)
    model = BagOfEmbeddings(len(vocab) + 2)
    opt = torch.optim.Adagrad(model.parameters(), lr=0.1)
    loss_fn = torch.nn.CrossEntropyLoss()
    for epoch in range(5):
        for ids, y in train_dl:
            opt.zero_grad()
            loss = loss_fn(model(ids), y)
            loss.backward()
            opt.step()
        print(epoch, loss.item(), len(val_recs))


if __name__ == "__main__":
    main()
