import torch
import torch.nn as nn
import torch.nn.functional as F


class TextCNN(nn.Module):
    def __init__(self, vocab, emb=100, n_cls=4):
        super().__init__()
        self.emb = nn.Embedding(vocab, emb)
        self.convs = nn.ModuleList([nn.Conv1d(emb, 64, k) for k in (3, 4, 5)])
        self.fc = nn.Linear(64 * 3, n_cls)

    def forward(self, x):
        e = self.emb(x).transpose(1, 2)
        h = torch.cat([F.relu(c(e)).max(dim=2).values for c in self.convs], dim=1)
        return F.softmax(self.fc(h), dim=1)  # BUG: NN401


class Trainer:
    def __init__(self, model, loader):
        self.model = model
        self.loader = loader
        self.criterion = nn.CrossEntropyLoss()
        self.opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def train_epoch(self):
        for tokens, labels in self.loader:
            self.opt.zero_grad()
            loss = self.criterion(self.model(tokens), labels)
            loss.backward()
            self.opt.step()


def main(loader):
    torch.manual_seed(0)
    Trainer(TextCNN(5000), loader).train_epoch()
