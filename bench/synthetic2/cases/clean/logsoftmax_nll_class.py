import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout = nn.Dropout(0.25)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = self.dropout(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        return F.log_softmax(self.fc2(x), dim=1)


class Trainer:
    def __init__(self, model, loader, test_loader):
        self.model = model
        self.loader = loader
        self.test_loader = test_loader
        self.criterion = nn.NLLLoss()
        self.optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)

    def train_epoch(self):
        self.model.train()
        for data, target in self.loader:
            self.optimizer.zero_grad()
            loss = self.criterion(self.model(data), target)
            loss.backward()
            self.optimizer.step()

    def test(self):
        self.model.eval()
        correct = 0
        with torch.no_grad():
            for data, target in self.test_loader:
                correct += self.model(data).argmax(1).eq(target).sum().item()
        return correct / len(self.test_loader.dataset)


def main(loader, test_loader):
    torch.manual_seed(1)
    t = Trainer(Net(), loader, test_loader)
    for epoch in range(14):
        t.train_epoch()
        print(t.test())
