import torch.nn as nn


class SentenceEncoder(nn.Module):
    def __init__(self, vocab_size, dim, layers=4, heads=6):
        super().__init__()
        self.tok = nn.Embedding(vocab_size, dim)
        layer = nn.TransformerEncoderLayer(dim, heads, 4 * dim, dropout=0.1, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, layers)

    def forward(self, tokens):
        return self.enc(self.tok(tokens))
