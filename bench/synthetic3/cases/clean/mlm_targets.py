import torch
from transformers import AutoModelForCausalLM, AutoModelForMaskedLM


def mask_tokens(input_ids, mask_id, p=0.15):
    labels = input_ids.clone()
    probs = torch.full(labels.shape, p)
    masked = torch.bernoulli(probs).bool()
    labels[~masked] = -100
    inputs = input_ids.clone()
    inputs[masked] = mask_id
    return inputs, labels


def mlm_step(model: AutoModelForMaskedLM, batch, mask_id, opt):
    inputs, labels = mask_tokens(batch["input_ids"], mask_id)
    out = model(input_ids=inputs, attention_mask=batch["attention_mask"], labels=labels)
    opt.zero_grad()
    out.loss.backward()
    opt.step()


def clm_step(model: AutoModelForCausalLM, batch, opt):
    out = model(input_ids=batch["input_ids"], labels=batch["input_ids"])
    opt.zero_grad()
    out.loss.backward()
    opt.step()
