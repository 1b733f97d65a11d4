import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torch import nn


class LitClassifier(pl.LightningModule):
    def __init__(self, lr=1e-3, epochs=20, steps_per_epoch=100):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Linear(28 * 28, 256), nn.ReLU(), nn.Linear(256, 10))

    def forward(self, x):
        return self.net(x.flatten(1))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss)
        return loss

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr)
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt,
            max_lr=self.hparams.lr * 10,
            epochs=self.hparams.epochs,
            steps_per_epoch=self.hparams.steps_per_epoch,
        )
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched}}  # BUG: NN212
