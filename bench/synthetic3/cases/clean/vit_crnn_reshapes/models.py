import torch.nn as nn

from layers import Attention, PatchEmbed, to_sequence


class TinyViT(nn.Module):
    def __init__(self, dim=384, n_classes=100):
        super().__init__()
        self.embed = PatchEmbed(dim=dim)
        self.norm = nn.LayerNorm(dim)
        self.attn = Attention(dim)
        self.head = nn.Linear(dim, n_classes)

    def forward(self, img):
        x = self.embed(img)
        x = x + self.attn(self.norm(x))
        return self.head(x.mean(1))


class CRNN(nn.Module):
    def __init__(self, n_classes):
        super().__init__()
        self.cnn = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU())
        self.rnn = nn.LSTM(32 * 32, 128)
        self.fc = nn.Linear(128, n_classes)

    def forward(self, x):
        seq = to_sequence(self.cnn(x))
        out, _ = self.rnn(seq)
        return self.fc(out)
