"""Character-level GPT on tiny shakespeare."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1337)
block_size, batch_size, n_embd, n_layer, vocab_size = 128, 32, 192, 4, 65


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(vocab_size, n_embd)
        self.pos = nn.Embedding(block_size, n_embd)
        layer = nn.TransformerEncoderLayer(n_embd, 6, 4 * n_embd, dropout=0.1, batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, n_layer)
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size)
        self.register_buffer("causal_mask", torch.triu(torch.full((block_size, block_size), float("-inf")), 1))

    def forward(self, idx):
        T = idx.size(1)
        x = self.tok(idx) + self.pos(torch.arange(T, device=idx.device))
        x = self.blocks(x, mask=self.causal_mask[:T, :T])
        return self.lm_head(self.ln_f(x))


data = torch.load("shakespeare_ids.pt")


def get_batch():
    ix = torch.randint(len(data) - block_size - 1, (batch_size,))
    return torch.stack([data[i:i + block_size] for i in ix])


model = GPT()
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4)
for it in range(5000):
    xb = get_batch()
    logits = model(xb)
    loss = F.cross_entropy(logits.view(-1, vocab_size), xb.view(-1))  # BUG: NN601
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    if it % 500 == 0:
        print(it, loss.item())
