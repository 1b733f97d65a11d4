import numpy as np
import torch
import torch.nn.functional as F

from gpt_model import GPTConfig, GPTLanguageModel


def get_batch(data, block_size, batch_size, device):
    ix = np.random.randint(0, len(data) - block_size - 1, size=batch_size)
    x = torch.stack([torch.from_numpy(data[i:i + block_size].astype(np.int64)) for i in ix])
    y = torch.stack([torch.from_numpy(data[i:i + block_size].astype(np.int64)) for i in ix])  # BUG: NN601
    return x.to(device), y.to(device)


@torch.no_grad()
def sample(model, idx, max_new_tokens, block_size, temperature=1.0):
    model.eval()
    for _ in range(max_new_tokens):
        logits = model(idx[:, -block_size:])[:, -1, :] / temperature
        probs = F.softmax(logits, dim=-1)
        idx = torch.cat([idx, torch.multinomial(probs, 1)], dim=1)
    model.train()
    return idx


def main():
    np.random.seed(0)
    torch.manual_seed(0)
    train_data = np.memmap("train.bin", dtype=np.uint16, mode="r")
    cfg = GPTConfig(block_size=256, vocab_size=50304, n_layer=6, n_head=6, n_embd=384)
    model = GPTLanguageModel(cfg).cuda()
    opt = torch.optim.AdamW(model.parameters(), lr=6e-4, betas=(0.9, 0.95))
    for step in range(2000):
        x, y = get_batch(train_data, cfg.block_size, 12, "cuda")
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 200 == 0:
            print(step, loss.item())
    print(sample(model, torch.zeros((1, 1), dtype=torch.long, device="cuda"), 200, cfg.block_size))


if __name__ == "__main__":
    main()
