import torch
from torch.optim.lr_scheduler import OneCycleLR


class Trainer:
    def __init__(self, model, train_loader, epochs, max_lr=3e-3):
        self.model = model
        self.train_loader = train_loader
        self.epochs = epochs
        self.opt = torch.optim.AdamW(model.parameters(), lr=max_lr / 25)
        self.sched = OneCycleLR(self.opt, max_lr=max_lr, total_steps=epochs * len(train_loader))
        self.loss_fn = torch.nn.CrossEntropyLoss()

    def train_one_epoch(self):
        self.model.train()
        for x, y in self.train_loader:
            self.opt.zero_grad()
            loss = self.loss_fn(self.model(x), y)
            loss.backward()
            self.opt.step()

    def fit(self):
        for epoch in range(self.epochs):
            self.train_one_epoch()
            self.sched.step()  # BUG: NN212
