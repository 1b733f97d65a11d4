"""Character-level GPT on a text file (single script)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1337)
block_size, batch_size, n_embd = 64, 32, 128

text = open("input.txt").read()
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
data = torch.tensor([stoi[c] for c in text], dtype=torch.long)


def get_batch():
    ix = torch.randint(len(data) - block_size - 1, (batch_size,))
    xb = torch.stack([data[i:i + block_size] for i in ix])
    yb = torch.stack([data[i:i + block_size] for i in ix])  # BUG: NN601
    return xb, yb


class TinyGPT(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.tok = nn.Embedding(vocab, n_embd)
        self.pos = nn.Embedding(block_size, n_embd)
        layer = nn.TransformerEncoderLayer(n_embd, 4, 4 * n_embd, batch_first=True)
        self.blocks = nn.TransformerEncoder(layer, 2)
        self.lm_head = nn.Linear(n_embd, vocab)

    def forward(self, idx):
        T = idx.size(1)
        mask = torch.triu(torch.full((T, T), float("-inf")), diagonal=1)
        h = self.tok(idx) + self.pos(torch.arange(T))
        return self.lm_head(self.blocks(h, mask=mask))


model = TinyGPT(len(chars))
opt = torch.optim.AdamW(model.parameters(), lr=3e-4)
for step in range(5000):
    xb, yb = get_batch()
    logits = model(xb)
    loss = F.cross_entropy(logits.view(-1, logits.size(-1)), yb.view(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
