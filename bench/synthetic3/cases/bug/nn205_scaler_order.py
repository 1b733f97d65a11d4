import torch
import torch.nn.functional as F


def fit(net, train_dl, opt, sched, epochs, device="cuda"):
    scaler = torch.cuda.amp.GradScaler()
    for ep in range(epochs):
        net.train()
        for src, tgt in train_dl:
            src, tgt = src.to(device), tgt.to(device)
            opt.zero_grad()
            with torch.autocast("cuda", dtype=torch.bfloat16):
                pred = net(src)
                loss = F.mse_loss(pred, tgt)
            scaler.step(opt)  # BUG: NN205
            scaler.scale(loss).backward()
            scaler.update()
        sched.step()
