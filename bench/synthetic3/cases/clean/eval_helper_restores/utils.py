import torch


@torch.no_grad()
def evaluate(model, loader):
    was_training = model.training
    model.train(False)
    hits = n = 0
    for x, y in loader:
        hits += (model(x).argmax(-1) == y).sum().item()
        n += y.numel()
    model.train(was_training)
    return hits / n


def score_epoch(net, dl_valid):
    net.eval()
    tp = fp = fn = 0
    with torch.inference_mode():
        for x, y in dl_valid:
            pred = net(x).sigmoid() > 0.5
            tp += (pred & (y == 1)).sum().item()
            fp += (pred & (y == 0)).sum().item()
            fn += (~pred & (y == 1)).sum().item()
    return 2 * tp / max(1, 2 * tp + fp + fn)
