"""Fine-tune a BERT classifier with gradient accumulation (effective batch 64)."""
import argparse

import torch
from torch.utils.data import DataLoader
from transformers import AutoModelForSequenceClassification, AutoTokenizer, set_seed


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="bert-base-uncased")
    ap.add_argument("--accum_steps", type=int, default=8)
    ap.add_argument("--batch_size", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=2e-5)
    return ap.parse_args()


def main():
    args = parse()
    set_seed(7)
    tok = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForSequenceClassification.from_pretrained(args.model, num_labels=2).cuda()
    data = torch.load("sst2_train.pt")
    loader = DataLoader(data, batch_size=args.batch_size, shuffle=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    model.train()
    for epoch in range(args.epochs):
        optimizer.zero_grad()
        for i, batch in enumerate(loader):
            enc = tok(batch["sentence"], padding=True, truncation=True, return_tensors="pt").to("cuda")
            out = model(**enc, labels=batch["label"].cuda())
            loss = out.loss
            loss.backward()  # BUG: NN206
            if (i + 1) % args.accum_steps == 0:
                optimizer.step()
                optimizer.zero_grad()
        print(f"epoch {epoch} last loss {loss.item():.4f}")


if __name__ == "__main__":
    main()
