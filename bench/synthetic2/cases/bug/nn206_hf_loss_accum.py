import torch
from torch.utils.data import DataLoader
from transformers import AutoModelForCausalLM


def finetune(dataset, gradient_accumulation_steps=16, epochs=1):
    model = AutoModelForCausalLM.from_pretrained("gpt2")
    loader = DataLoader(dataset, batch_size=4, shuffle=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    model.train()
    for epoch in range(epochs):
        for step, batch in enumerate(loader):
            outputs = model(input_ids=batch["input_ids"], labels=batch["input_ids"])
            loss = outputs.loss
            loss.backward()  # BUG: NN206
            if (step + 1) % gradient_accumulation_steps == 0:
                optimizer.step()
                optimizer.zero_grad()
