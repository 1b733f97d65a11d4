import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader


class Classifier(nn.Module):
    def __init__(self, in_features=20, hidden=64, n_classes=5):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.fc3 = nn.Linear(hidden, n_classes)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return F.softmax(self.fc3(x), dim=1)  # BUG: NN401


def train(dataset, epochs=40):
    torch.manual_seed(0)
    loader = DataLoader(dataset, batch_size=32, shuffle=True)
    model = Classifier()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(epochs):
        total = 0.0
        for features, labels in loader:
            optimizer.zero_grad()
            probs = model(features)
            loss = criterion(probs, labels)
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"epoch {epoch+1}/{epochs} loss {total / len(loader):.4f}")
    return model
