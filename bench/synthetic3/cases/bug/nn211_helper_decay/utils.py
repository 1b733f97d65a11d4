def adjust_lr(optimizer, epoch, base_lr):
    """Step decay: divide the learning rate by 10 every 30 epochs."""
    lr = base_lr * (0.1 ** (epoch // 30))  # BUG: NN211
    for group in optimizer.param_groups:
        group["lr"] = lr
    return lr
