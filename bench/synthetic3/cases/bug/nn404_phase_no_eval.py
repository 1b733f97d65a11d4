import torch
import torch.nn as nn
import torchvision


def run(dataloaders, epochs=15, device="cpu"):
    model = torchvision.models.resnet18(num_classes=2).to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    history = {"train": [], "val": []}
    for epoch in range(epochs):
        for phase in ["train", "val"]:
            if phase == "train":
                model.train()  # BUG: NN404
            correct = total = 0
            for inputs, labels in dataloaders[phase]:
                inputs, labels = inputs.to(device), labels.to(device)
                optimizer.zero_grad()
                with torch.set_grad_enabled(phase == "train"):
                    outputs = model(inputs)
                    loss = criterion(outputs, labels)
                    if phase == "train":
                        loss.backward()
                        optimizer.step()
                correct += (outputs.argmax(1) == labels).sum().item()
                total += labels.size(0)
            history[phase].append(correct / total)
    return model, history
