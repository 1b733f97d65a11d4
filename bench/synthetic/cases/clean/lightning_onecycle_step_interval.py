import lightning as L
import torch
import torch.nn as nn
import torch.nn.functional as F


class LitSegmenter(L.LightningModule):
    def __init__(self, net: nn.Module, lr: float = 3e-4, max_epochs: int = 30, steps_per_epoch: int = 1000):
        super().__init__()
        self.net = net
        self.lr = lr
        self.max_epochs = max_epochs
        self.steps_per_epoch = steps_per_epoch

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        img, mask = batch
        loss = F.cross_entropy(self(img), mask)
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        img, mask = batch
        self.log("val/loss", F.cross_entropy(self(img), mask), sync_dist=True)

    def configure_optimizers(self):
        optimizer = torch.optim.AdamW(self.parameters(), lr=self.lr)
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=self.lr, total_steps=self.max_epochs * self.steps_per_epoch
        )
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


def main():
    L.seed_everything(42)
    from unet import UNet

    model = LitSegmenter(UNet(n_classes=4))
    trainer = L.Trainer(max_epochs=30, precision="16-mixed")
    trainer.fit(model, datamodule=torch.load("datamodule.pt"))


if __name__ == "__main__":
    main()
