import time

import torch
import torch.nn as nn


def train(model, loader, optimizer, epochs, log_interval=100):
    criterion = nn.NLLLoss()
    model.train()
    for epoch in range(1, epochs + 1):
        total_loss = 0
        start = time.time()
        hidden = model.init_hidden(loader.batch_size)
        for batch, (data, targets) in enumerate(loader):
            hidden = tuple(h.detach() for h in hidden)
            optimizer.zero_grad()
            output, hidden = model(data, hidden)
            loss = criterion(output.view(-1, output.size(-1)), targets.view(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
            optimizer.step()
            total_loss += loss  # BUG: NN501
            if batch % log_interval == 0 and batch > 0:
                cur_loss = total_loss / log_interval
                elapsed = time.time() - start
                print(f"| epoch {epoch:3d} | {batch:5d} batches | ms/batch {elapsed * 1000 / log_interval:5.2f} | loss {cur_loss:5.2f}")
                total_loss = 0
                start = time.time()
