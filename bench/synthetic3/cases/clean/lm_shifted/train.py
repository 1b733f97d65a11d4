import torch
import torch.nn.functional as F

from models import CausalLM


@torch.no_grad()
def sample(model, prompt, n_new):
    model.eval()
    tokens = prompt
    for _ in range(n_new):
        nxt = torch.multinomial(model(tokens)[:, -1].softmax(-1), 1)
        tokens = torch.cat([tokens, nxt], dim=1)
    model.train()
    return tokens


def get_batch(data, block_size, batch_size):
    ix = torch.randint(len(data) - block_size - 1, (batch_size,))
    xb = torch.stack([data[i:i + block_size] for i in ix])
    yb = torch.stack([data[i + 1:i + 1 + block_size] for i in ix])
    return xb, yb


def train(corpus_ids, vocab, steps=10000, seq_len=128, bsz=16):
    torch.manual_seed(0)
    model = CausalLM(vocab)
    optimizer = torch.optim.AdamW(model.parameters(), lr=6e-4)
    model.train()
    for step in range(steps):
        starts = torch.randint(0, corpus_ids.numel() - seq_len - 1, (bsz,))
        seq = torch.stack([corpus_ids[s:s + seq_len + 1] for s in starts])
        inputs, targets = seq[:, :-1], seq[:, 1:]
        logits = model(inputs)
        loss = F.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 1000 == 0:
            print(sample(model, inputs[:1, :8], 32))
    return model
