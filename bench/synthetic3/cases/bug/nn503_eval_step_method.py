import torch
import torch.nn.functional as F


class Learner:
    def __init__(self, model, train_loader, val_loader, lr=3e-4):
        self.model = model
        self.train_loader = train_loader
        self.val_loader = val_loader
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=lr)

    def train_step(self, batch):
        self.optimizer.zero_grad()
        loss = F.cross_entropy(self.model(batch["x"]), batch["y"])
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def eval_step(self, batch):  # BUG: NN503
        logits = self.model(batch["x"])
        return (logits.argmax(-1) == batch["y"]).float().mean().item()

    def fit(self, epochs):
        for epoch in range(epochs):
            self.model.train()
            for batch in self.train_loader:
                self.train_step(batch)
            self.model.eval()
            accs = []
            for batch in self.val_loader:
                accs.append(self.eval_step(batch))
            print(epoch, sum(accs) / len(accs))
