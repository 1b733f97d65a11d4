import numpy as np
import torch
from sklearn.metrics import f1_score


def evaluate(model, dev_loader, device):
    model.eval()
    preds, golds = [], []
    for batch in dev_loader:  # BUG: NN503
        input_ids = batch["input_ids"].to(device)
        attention_mask = batch["attention_mask"].to(device)
        logits = model(input_ids=input_ids, attention_mask=attention_mask).logits
        preds.append(logits.argmax(-1).cpu().numpy())
        golds.append(batch["labels"].numpy())
    model.train()
    return f1_score(np.concatenate(golds), np.concatenate(preds), average="macro")


def train(model, train_loader, dev_loader, optimizer, scheduler, epochs, device):
    best = 0.0
    for epoch in range(epochs):
        model.train()
        for batch in train_loader:
            batch = {k: v.to(device) for k, v in batch.items()}
            loss = model(**batch).loss
            loss.backward()
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
        f1 = evaluate(model, dev_loader, device)
        if f1 > best:
            best = f1
            torch.save(model.state_dict(), "best.bin")
        print(epoch, f1)
