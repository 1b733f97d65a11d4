import random

import torch
import torch.nn as nn


class Seq2Seq(nn.Module):
    def __init__(self, vocab, hid=256):
        super().__init__()
        self.src_emb = nn.Embedding(vocab, hid)
        self.tgt_emb = nn.Embedding(vocab, hid)
        self.encoder = nn.GRU(hid, hid, batch_first=True)
        self.decoder = nn.GRUCell(hid, hid)
        self.out = nn.Linear(hid, vocab)

    def forward(self, src, tgt, teacher_forcing_ratio=0.5):
        _, h = self.encoder(self.src_emb(src))
        h = h.squeeze(0)
        tok = tgt[:, 0]
        outputs = []
        for t in range(1, tgt.size(1)):
            h = self.decoder(self.tgt_emb(tok), h)
            logits = self.out(h)
            outputs.append(logits)
            tok = tgt[:, t] if random.random() < teacher_forcing_ratio else logits.argmax(-1)
        return torch.stack(outputs, dim=1)


def train_epoch(model, loader, optimizer, criterion, clip=1.0):
    model.train()
    epoch_loss = 0.0
    for src, tgt in loader:
        optimizer.zero_grad()
        output = model(src, tgt)
        loss = criterion(output.reshape(-1, output.size(-1)), tgt[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        epoch_loss += loss.item()
    return epoch_loss / len(loader)


@torch.no_grad()
def evaluate(model, loader, criterion):
    model.eval()
    total = 0.0
    for src, tgt in loader:
        output = model(src, tgt, teacher_forcing_ratio=0.0)
        total += criterion(output.reshape(-1, output.size(-1)), tgt[:, 1:].reshape(-1)).item()
    return total / len(loader)


def main(train_loader, val_loader, vocab):
    random.seed(0)
    torch.manual_seed(0)
    model = Seq2Seq(vocab)
    optimizer = torch.optim.Adam(model.parameters())
    criterion = nn.CrossEntropyLoss(ignore_index=0)
    for epoch in range(10):
        train_epoch(model, train_loader, optimizer, criterion)
        print(evaluate(model, val_loader, criterion))
