import torch
import torch.nn as nn
import torch.nn.functional as F


class SentimentLSTM(nn.Module):
    def __init__(self, vocab_size, emb=128, hidden=256, n_classes=3, dropout=0.3):
        super().__init__()
        self.emb = nn.Embedding(vocab_size, emb, padding_idx=0)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True, bidirectional=True)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(2 * hidden, n_classes)

    def forward(self, tokens):
        out, _ = self.lstm(self.emb(tokens))
        return self.fc(self.drop(out[:, -1]))

    @torch.no_grad()
    def predict_proba(self, tokens):
        self.eval()
        return F.softmax(self.forward(tokens), dim=-1)


def train(model, loader, epochs=5, lr=1e-3):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        model.train()
        for tokens, labels in loader:
            logits = model(tokens)
            loss = loss_fn(logits, labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(epoch, loss.item())


def predict_labels(model, loader):
    model.eval()
    out = []
    with torch.no_grad():
        for tokens, _ in loader:
            probs = torch.softmax(model(tokens), dim=1)
            out.extend(probs.argmax(1).tolist())
    return out
