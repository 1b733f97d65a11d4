import torch
import torch.nn.functional as F

from models import CausalLM


@torch.no_grad()
def sample(model, prompt, n_new, temperature=1.0):
    model.eval()
    tokens = prompt
    for _ in range(n_new):
        logits = model(tokens)[:, -1] / temperature
        nxt = torch.multinomial(logits.softmax(-1), 1)
        tokens = torch.cat([tokens, nxt], dim=1)
    model.train()
    return tokens


def train(corpus_ids, vocab, steps=10000, seq_len=128, bsz=16):
    torch.manual_seed(0)
    model = CausalLM(vocab)
    optimizer = torch.optim.AdamW(model.parameters(), lr=6e-4, betas=(0.9, 0.95))
    model.train()
    for step in range(steps):
        starts = torch.randint(0, corpus_ids.numel() - seq_len, (bsz,))
        tokens = torch.stack([corpus_ids[s:s + seq_len] for s in starts])
        logits = model(tokens)
        loss = F.cross_entropy(logits.reshape(-1, vocab), tokens.reshape(-1))  # BUG: NN601
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 1000 == 0:
            print(sample(model, tokens[:1, :8], 32))
    return model
