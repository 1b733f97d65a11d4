import torch
from torch import nn
from torch.cuda.amp import GradScaler, autocast


class AmpTrainer:
    def __init__(self, model, loader, cfg):
        self.model = model.cuda()
        self.loader = loader
        self.cfg = cfg
        self.opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.05)
        self.scaler = GradScaler()
        self.loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)

    def train_one_epoch(self, epoch):
        self.model.train()
        for images, targets in self.loader:
            images, targets = images.cuda(non_blocking=True), targets.cuda(non_blocking=True)
            self.opt.zero_grad(set_to_none=True)
            with autocast():
                loss = self.loss_fn(self.model(images), targets)
            self.scaler.scale(loss).backward()
            nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.clip)  # BUG: NN202
            self.scaler.step(self.opt)
            self.scaler.update()
