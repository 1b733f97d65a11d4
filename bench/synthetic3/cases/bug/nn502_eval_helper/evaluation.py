import torch


def evaluate(net, val_loader, device="cpu"):
    net.eval()
    correct = seen = 0
    with torch.no_grad():
        for i, (x, y) in enumerate(val_loader):
            if i == 20:  # BUG: NN502
                break
            pred = net(x.to(device)).argmax(1)
            correct += (pred.cpu() == y).sum().item()
            seen += y.size(0)
    return correct / seen
