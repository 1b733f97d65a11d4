"""Tiny causal LM on a token stream; targets are the inputs shifted by one."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
block_size, batch_size, vocab_size, d = 64, 16, 256, 128


class TinyGPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(vocab_size, d)
        self.wpe = nn.Embedding(block_size, d)
        layer = nn.TransformerEncoderLayer(d, 4, 4 * d, dropout=0.0, batch_first=True)
        self.h = nn.TransformerEncoder(layer, 3)
        self.lm_head = nn.Linear(d, vocab_size, bias=False)

    def forward(self, idx, targets=None):
        T = idx.size(1)
        mask = nn.Transformer.generate_square_subsequent_mask(T)
        x = self.h(self.wte(idx) + self.wpe(torch.arange(T)), mask=mask, is_causal=True)
        logits = self.lm_head(x)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, vocab_size), targets.view(-1))
        return logits, loss


data = torch.tensor(list(open("input.txt", "rb").read()), dtype=torch.long)


def get_batch():
    ix = torch.randint(len(data) - block_size - 1, (batch_size,))
    x = torch.stack([data[i:i + block_size] for i in ix])
    y = torch.stack([data[i + 1:i + 1 + block_size] for i in ix])
    return x, y


model = TinyGPT()
opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
for step in range(3000):
    xb, yb = get_batch()
    _, loss = model(xb, yb)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    if step % 300 == 0:
        print(step, loss.item())
