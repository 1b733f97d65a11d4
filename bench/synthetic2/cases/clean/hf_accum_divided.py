import torch
from torch.utils.data import DataLoader
from transformers import AutoModelForSequenceClassification, get_cosine_schedule_with_warmup


def train(dataset, epochs=3, gradient_accumulation_steps=4, lr=2e-5):
    model = AutoModelForSequenceClassification.from_pretrained("roberta-base", num_labels=3)
    loader = DataLoader(dataset, batch_size=8, shuffle=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    total = epochs * len(loader) // gradient_accumulation_steps
    scheduler = get_cosine_schedule_with_warmup(optimizer, int(0.06 * total), total)
    model.train()
    for epoch in range(epochs):
        for step, batch in enumerate(loader):
            outputs = model(**batch)
            loss = outputs.loss / gradient_accumulation_steps
            loss.backward()
            if (step + 1) % gradient_accumulation_steps == 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
    return model
