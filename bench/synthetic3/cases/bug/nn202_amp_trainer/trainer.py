import torch
from torch.nn.utils import clip_grad_norm_


class AmpTrainer:
    def __init__(self, model, optimizer, device="cuda", max_norm=1.0):
        self.model = model.to(device)
        self.optimizer = optimizer
        self.device = device
        self.max_norm = max_norm
        self.scaler = torch.cuda.amp.GradScaler()
        self.loss_fn = torch.nn.CrossEntropyLoss()

    def train_epoch(self, loader):
        self.model.train()
        for images, labels in loader:
            images, labels = images.to(self.device), labels.to(self.device)
            self.optimizer.zero_grad(set_to_none=True)
            with torch.autocast(device_type="cuda", dtype=torch.float16):
                loss = self.loss_fn(self.model(images), labels)
            self.scaler.scale(loss).backward()
            params = [p for p in self.model.parameters() if p.requires_grad]
            clip_grad_norm_(params, self.max_norm)  # BUG: NN202
            self.scaler.step(self.optimizer)
            self.scaler.update()
