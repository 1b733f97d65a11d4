import os

import torch
import torch.nn as nn
from torch.nn.utils import clip_grad_norm_


class CharRNN(nn.Module):
    def __init__(self, vocab, hidden=512, layers=2):
        super().__init__()
        self.emb = nn.Embedding(vocab, hidden)
        self.rnn = nn.LSTM(hidden, hidden, layers, batch_first=True)
        self.fc = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        out, state = self.rnn(self.emb(x), state)
        return self.fc(out), state


def train(model, batches, vocab, epochs=20, clip=5.0, ckpt_dir="ckpt"):
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    criterion = nn.CrossEntropyLoss()
    os.makedirs(ckpt_dir, exist_ok=True)
    for epoch in range(epochs):
        state = None
        for x, y in batches:
            optimizer.zero_grad()
            logits, state = model(x, state)
            state = tuple(s.detach() for s in state)
            loss = criterion(logits.reshape(-1, vocab), y.reshape(-1))
            clip_grad_norm_(model.parameters(), clip)  # BUG: NN202
            loss.backward()
            optimizer.step()
        torch.save(model.state_dict(), os.path.join(ckpt_dir, f"rnn_{epoch}.pt"))
