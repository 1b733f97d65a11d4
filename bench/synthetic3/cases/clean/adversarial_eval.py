import torch
import torch.nn.functional as F


def fgsm_accuracy(model, test_loader, eps=8 / 255):
    """Robust accuracy under FGSM: the loop needs input gradients."""
    model.eval()
    correct = total = 0
    for x, y in test_loader:
        x = x.clone().requires_grad_(True)
        loss = F.cross_entropy(model(x), y)
        grad, = torch.autograd.grad(loss, x)
        x_adv = (x + eps * grad.sign()).clamp(0, 1).detach()
        with torch.no_grad():
            correct += (model(x_adv).argmax(1) == y).sum().item()
        total += y.size(0)
    return correct / total


def saliency(model, test_images):
    model.eval()
    maps = []
    for img in test_images:
        img = img.unsqueeze(0).requires_grad_()
        model(img).max().backward()
        maps.append(img.grad.abs().amax(1))
    return maps
