import torch
import torch.nn.functional as F


def train_epoch(model, loader, opt, scaler, cfg):
    model.train()
    opt.zero_grad(set_to_none=True)
    for step, (tokens, labels) in enumerate(loader, start=1):
        with torch.autocast("cuda", dtype=torch.float16):
            logits = model(tokens.cuda())
            loss = F.cross_entropy(logits, labels.cuda())
        scaler.scale(loss).backward()  # BUG: NN206
        if step % cfg.grad_accum == 0:
            scaler.step(opt)
            scaler.update()
            opt.zero_grad(set_to_none=True)
