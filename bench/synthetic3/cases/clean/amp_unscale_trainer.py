import torch
from torch.nn.utils import clip_grad_norm_


class AmpTrainer:
    def __init__(self, model, optimizer, max_norm=1.0, accum=1):
        self.model = model
        self.optimizer = optimizer
        self.max_norm = max_norm
        self.accum = accum
        self.scaler = torch.cuda.amp.GradScaler()
        self.loss_fn = torch.nn.CrossEntropyLoss()

    def train_epoch(self, loader):
        self.model.train()
        self.optimizer.zero_grad(set_to_none=True)
        for i, (images, labels) in enumerate(loader):
            with torch.autocast(device_type="cuda", dtype=torch.float16):
                loss = self.loss_fn(self.model(images.cuda()), labels.cuda())
            self.scaler.scale(loss / self.accum).backward()
            if (i + 1) % self.accum == 0:
                self.scaler.unscale_(self.optimizer)
                clip_grad_norm_([p for p in self.model.parameters() if p.requires_grad], self.max_norm)
                self.scaler.step(self.optimizer)
                self.scaler.update()
                self.optimizer.zero_grad(set_to_none=True)
