def score_epoch(net, dl_valid):
    net.eval()
    tp = fp = fn = 0
    for x, y in dl_valid:
        pred = net(x).sigmoid() > 0.5  # BUG: NN503
        tp += (pred & (y == 1)).sum().item()
        fp += (pred & (y == 0)).sum().item()
        fn += (~pred & (y == 1)).sum().item()
    return 2 * tp / max(1, 2 * tp + fp + fn)
