import torch
import torch.nn as nn


class LSTMThenConv(nn.Module):
    """LSTM encoder (batch_first) followed by a temporal conv over its features."""

    def __init__(self, n_in, hidden, n_out):
        super().__init__()
        self.rnn = nn.LSTM(n_in, hidden, batch_first=True)
        self.conv = nn.Conv1d(hidden, hidden, kernel_size=3, padding=1)
        self.fc = nn.Linear(hidden, n_out)

    def forward(self, x):
        h, _ = self.rnn(x)
        bsz, seq_len, n_feat = h.shape
        h = torch.reshape(h, (bsz, n_feat, seq_len))  # BUG: NN101
        h = torch.relu(self.conv(h))
        return self.fc(h.mean(-1))
