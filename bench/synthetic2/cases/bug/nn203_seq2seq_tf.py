import random

import torch
import torch.nn as nn

random.seed(0)
torch.manual_seed(0)


class Encoder(nn.Module):
    def __init__(self, vocab, hid):
        super().__init__()
        self.emb = nn.Embedding(vocab, hid)
        self.gru = nn.GRU(hid, hid, batch_first=True)

    def forward(self, src):
        _, h = self.gru(self.emb(src))
        return h


class Decoder(nn.Module):
    def __init__(self, vocab, hid):
        super().__init__()
        self.emb = nn.Embedding(vocab, hid)
        self.gru = nn.GRU(hid, hid, batch_first=True)
        self.out = nn.Linear(hid, vocab)

    def forward(self, tok, h):
        o, h = self.gru(self.emb(tok).unsqueeze(1), h)
        return self.out(o.squeeze(1)), h


VOCAB, HID = 50, 128
enc, dec = Encoder(VOCAB, HID), Decoder(VOCAB, HID)
enc_opt = torch.optim.Adam(enc.parameters(), lr=1e-3)
dec_opt = torch.optim.Adam(dec.parameters(), lr=1e-3)
criterion = nn.CrossEntropyLoss()
pairs = [(torch.randint(3, VOCAB, (8, 10)), torch.randint(3, VOCAB, (8, 12))) for _ in range(100)]
teacher_forcing_ratio = 0.5

for epoch in range(10):
    for src, trg in pairs:
        h = enc(src)
        tok = trg[:, 0]
        loss = 0
        for t in range(1, trg.size(1)):
            logits, h = dec(tok, h)
            loss += criterion(logits, trg[:, t])
            tok = trg[:, t] if random.random() < teacher_forcing_ratio else logits.argmax(1)
        loss.backward()
        enc_opt.step()  # BUG: NN203
        dec_opt.step()  # BUG: NN203
