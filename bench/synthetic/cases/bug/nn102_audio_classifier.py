"""1-D conv classifier over log-mel spectrograms."""
import torch
from torch import nn


class AudioNet(nn.Module):
    def __init__(self, n_mels: int = 64, n_frames: int = 128, n_classes: int = 35):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(n_mels, 128, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Conv1d(128, 128, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool1d(2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(128 * (n_frames // 4), 256),
            nn.ReLU(),
            nn.Dropout(0.3),
            nn.Linear(256, n_classes),
        )

    def forward(self, spec: torch.Tensor) -> torch.Tensor:
        h = self.features(spec)
        h = torch.flatten(h)  # BUG: NN102
        return self.classifier(h)


def train_epoch(model, loader, optimizer, device="cpu"):
    model.train()
    criterion = nn.CrossEntropyLoss()
    running = 0.0
    for spec, label in loader:
        spec, label = spec.to(device), label.to(device)
        optimizer.zero_grad(set_to_none=True)
        loss = criterion(model(spec), label)
        loss.backward()
        optimizer.step()
        running += loss.item()
    return running / max(1, len(loader))
