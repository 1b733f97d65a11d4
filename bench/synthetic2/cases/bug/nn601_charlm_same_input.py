import torch
import torch.nn as nn
import torch.nn.functional as F


class CharLSTM(nn.Module):
    """Character-level language model; generate() samples one char at a time."""

    def __init__(self, vocab, hidden=256):
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.lstm = nn.LSTM(hidden, hidden, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, idx, state=None):
        out, state = self.lstm(self.embed(idx), state)
        return self.head(out), state

    @torch.no_grad()
    def generate(self, idx, n_new, temperature=1.0):
        self.eval()
        state = None
        for _ in range(n_new):
            logits, state = self(idx[:, -1:], state)
            probs = F.softmax(logits[:, -1] / temperature, dim=-1)
            idx = torch.cat([idx, torch.multinomial(probs, 1)], dim=1)
        return idx


def train_lm(model, batches, vocab, steps=1000):
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    model.train()
    for step, seq in zip(range(steps), batches):
        logits, _ = model(seq)
        loss = F.cross_entropy(logits.reshape(-1, vocab), seq.reshape(-1))  # BUG: NN601
        opt.zero_grad()
        loss.backward()
        opt.step()
