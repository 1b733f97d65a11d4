import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

torch.manual_seed(0)
VOCAB, CTX = 1000, 128


def collate_fn(batch):
    seqs = torch.stack([torch.as_tensor(s[: CTX + 1]) for s in batch])
    return seqs[:, :-1], seqs[:, 1:]


class TinyGPT(nn.Module):
    def __init__(self, d=128, heads=4, layers=2):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, d)
        self.pos = nn.Parameter(torch.zeros(1, CTX, d))
        layer = nn.TransformerEncoderLayer(d, heads, 4 * d, batch_first=True)
        self.blocks = nn.TransformerEncoder(layer, layers)
        self.lm_head = nn.Linear(d, VOCAB)

    def forward(self, idx):
        T = idx.size(1)
        causal_mask = torch.triu(torch.full((T, T), float("-inf")), diagonal=1)
        h = self.blocks(self.tok(idx) + self.pos[:, :T], mask=causal_mask)
        return self.lm_head(h)


corpus = [torch.randint(0, VOCAB, (CTX + 1,)) for _ in range(512)]
loader = DataLoader(corpus, batch_size=16, shuffle=True, collate_fn=collate_fn)
model = TinyGPT()
opt = torch.optim.AdamW(model.parameters(), lr=3e-4)
for epoch in range(2):
    for inputs, targets in loader:
        logits = model(inputs)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(epoch, math.exp(loss.item()))
