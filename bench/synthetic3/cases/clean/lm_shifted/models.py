import torch
import torch.nn as nn


class CausalLM(nn.Module):
    def __init__(self, vocab, d=256, n_layers=4, n_heads=4, max_len=256):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.zeros(1, max_len, d))
        layer = nn.TransformerEncoderLayer(d, n_heads, 4 * d, batch_first=True)
        self.decoder = nn.TransformerEncoder(layer, n_layers)
        self.head = nn.Linear(d, vocab, bias=False)

    def forward(self, tokens):
        T = tokens.shape[1]
        causal = nn.Transformer.generate_square_subsequent_mask(T)
        return self.head(self.decoder(self.emb(tokens) + self.pos[:, :T], mask=causal, is_causal=True))
