import torch
from torch import nn
from torch.optim import lr_scheduler


def train_model(model, dataloaders, criterion, optimizer, scheduler, num_epochs=25):
    for epoch in range(num_epochs):
        print(f"Epoch {epoch}/{num_epochs - 1}")
        model.train()
        running_loss, running_corrects = 0.0, 0
        for inputs, labels in dataloaders["train"]:
            inputs, labels = inputs.cuda(), labels.cuda()
            optimizer.zero_grad()
            outputs = model(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            scheduler.step()  # BUG: NN212
            running_loss += loss.item() * inputs.size(0)
            running_corrects += torch.sum(outputs.argmax(1) == labels.data).item()
        n = len(dataloaders["train"].dataset)
        print(f"loss {running_loss / n:.4f} acc {running_corrects / n:.4f}")
    return model


def finetune(model, dataloaders, num_epochs=25):
    criterion = nn.CrossEntropyLoss()
    optimizer_ft = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    exp_lr_scheduler = lr_scheduler.StepLR(optimizer_ft, step_size=7, gamma=0.1)
    return train_model(model, dataloaders, criterion, optimizer_ft, exp_lr_scheduler, num_epochs)
