import torch
import torch.nn.functional as F


def evaluate(model, test_loader, device="cuda"):
    model.eval()
    test_loss, correct = 0.0, 0
    for data, target in test_loader:  # BUG: NN503
        output = model(data.to(device))
        test_loss += F.nll_loss(output, target.to(device), reduction="sum").item()
        correct += output.argmax(dim=1).eq(target.to(device)).sum().item()
    n = len(test_loader.dataset)
    return test_loss / n, correct / n
