"""Mixed-precision fine-tuning loop for a ResNet-50."""
import torch
import torchvision
from torch.cuda.amp import GradScaler, autocast


def build_model(num_classes):
    model = torchvision.models.resnet50(weights="IMAGENET1K_V2")
    model.fc = torch.nn.Linear(model.fc.in_features, num_classes)
    return model.cuda()


def fit(train_loader, num_classes=100, epochs=15, max_norm=1.0):
    model = build_model(num_classes)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    scaler = GradScaler()
    criterion = torch.nn.CrossEntropyLoss(label_smoothing=0.1)
    for epoch in range(epochs):
        model.train()
        for images, targets in train_loader:
            images = images.cuda(non_blocking=True)
            targets = targets.cuda(non_blocking=True)
            optimizer.zero_grad(set_to_none=True)
            with autocast():
                loss = criterion(model(images), targets)
            scaler.scale(loss).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)  # BUG: NN202
            scaler.step(optimizer)
            scaler.update()
        scheduler.step()
        print(f"epoch {epoch} lr={scheduler.get_last_lr()[0]:.5f} loss={loss.item():.4f}")
    return model
