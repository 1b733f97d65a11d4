"""NN206 grad-accumulation: accumulation that does not average, clears too often, or steps inverted."""

from __future__ import annotations

from typing import ClassVar

from nnlint.engine.accumulation import Accumulation
from nnlint.engine.loops import EventKind, Loop
from nnlint.finding import Severity
from nnlint.rule import Invalid, LoopRule


class GradAccumulation(LoopRule):
    """## What it does
    Flags gradient accumulation written wrong, in a training loop that steps the optimizer once every k
    micro-batches (`if (i + 1) % accum_steps == 0: optimizer.step()`, a step after `if i % k != 0:
    continue` or `if is_accumulating: continue`, or one step after an inner
    `for micro_step in range(grad_accum_steps)` loop):

    - the loss is a mean-reduced loss (`nn.CrossEntropyLoss()`, `F.mse_loss`, `.mean()`, a Hugging Face
      output's `.loss`, the loss the model's own forward returns: `logits, loss = model(x, y)`) that
      reaches `backward()` without being divided by k;
    - the gradients are cleared on every micro-batch (`optimizer.zero_grad()` outside the step's guard,
      or inside the micro-batch loop, or under a setting the loop never changes, such as a mixed-precision
      switch: `if self.auto_mix_prec: self.optimizer.zero_grad()`), so only the last micro-batch reaches
      the step; also in a per-step method that loops over the step's micro-batches, clearing and
      backpropagating each (itself or through a method of the file), and steps once after the loop
      (`for batch in batch_list: self.optimizer.zero_grad(); self.train_single_accumulation(batch)`), when
      the loop reads no gradient (per-sample gradients do, between the clearings) and says it
      accumulates (in its header, a function it calls, or the step's guard after it);
    - the loop has an accumulation guard (`if step % gradient_accumulation_steps == 0:` around
      clipping or counters) but the optimizer steps outside it, on every micro-batch;
    - the loss is divided by the accumulation steps (`loss /= gradient_accumulation_steps`) but the
      optimizer steps on every micro-batch, unguarded: nothing accumulates, and every update is k
      times too small;
    - the guard is inverted (`if i % k != 0: optimizer.step()`): it steps on k - 1 of every k batches
      and accumulates across the k-th;
    - the loss is divided by the loop's running micro-batch counter (`n += 1` every iteration, `n = 0`
      when the guard `if n >= accum_steps:` steps) instead of the accumulation count, so the
      micro-batches of one step are weighted 1, 1/2, 1/3, ...;
    - inside `with accelerator.accumulate(model):`, the model's own `zero_grad()` runs on every
      micro-batch: accelerate skips only the prepared optimizer's `zero_grad()` and `step()` between
      sync steps, so the model's clears what the micro-batches accumulated.

    A process function handed to PyTorch-Ignite's `Engine` (`def update(engine, batch): ...`,
    `Engine(update)`) is the body of the batch loop Ignite runs, its counter `engine.state.iteration`.

    Not flagged: a loss divided (or multiplied) on its way to `backward()`, inline, through a helper, or
    inside `scaler.scale(...)`; sum-reduced losses normalised by a token or sample count, and a model
    called with a non-mean `reduction=`; a loss unpacked from a call that is not the model's; accelerate's
    `accelerator.accumulate()` and `accelerator.backward()` (the optimizer's `zero_grad()` and `step()`
    inside it, and a model's `zero_grad()` under `if accelerator.sync_gradients:`), DeepSpeed and
    Lightning's Trainer, which scale by themselves (Lightning Fabric's `fabric.backward(loss)` does not,
    and Fabric's `no_backward_sync` and DDP's `no_sync` only skip the all-reduce); a guard that gates a
    whole update (a GAN's generator trained every n steps).

    ## Why is this bad?
    `backward()` adds into `.grad`, so k mean losses sum to k times the gradient of one batch: the update
    is k times larger than the batch-size-k·b run it is meant to reproduce, which multiplies the
    effective learning rate for SGD, shifts gradient-clipping thresholds and weight-decay balance, and
    makes the run depend on k. Clearing on every micro-batch throws k - 1 micro-batches away while the
    logs still count them. An inverted guard updates almost every batch with the wrong sum.

    ## Example
    ```python
    for i, (x, y) in enumerate(loader):
        loss = criterion(model(x), y)
        loss.backward()
        if (i + 1) % accum_steps == 0:
            optimizer.step()
            optimizer.zero_grad()
    ```

    ## Use instead
    ```python
    for i, (x, y) in enumerate(loader):
        loss = criterion(model(x), y) / accum_steps
        loss.backward()
        if (i + 1) % accum_steps == 0:
            optimizer.step()
            optimizer.zero_grad()
    ```

    ## References
    - PyTorch docs, "Automatic Mixed Precision examples: Gradient accumulation".
    - Hugging Face, "Methods and tools for efficient training on a single GPU: gradient accumulation".
    """

    code = "NN206"
    name = "grad-accumulation"
    severity = Severity.ERROR
    message = (
        "This loop steps once every k micro-batches but backpropagates each mean loss undivided, so every "
        "update is k times too large; divide the loss by the accumulation steps."
    )
    hint = "Accumulating k mean losses sums k gradients: scale each by 1/k, and clear only after the step."

    VALID: ClassVar[list[str]] = [
        # The Ignite process function of CDial-GPT's train.py: the loss divided by k, the step and the
        # clearing every k-th call of the engine's run (`engine.state.iteration`).
        """
import torch
from ignite.engine import Engine

def main(model, optimizer, loader, args):
    def update(engine, batch):
        model.train()
        x, y = batch
        loss = torch.nn.functional.cross_entropy(model(x), y) / args.gradient_accumulation_steps
        loss.backward()
        if engine.state.iteration % args.gradient_accumulation_steps == 0:
            optimizer.step()
            optimizer.zero_grad()
        return loss.item()

    trainer = Engine(update)
    trainer.run(loader)
""",
        # The same skip guard with the loss divided by the accumulation count (SLIP's main.py).
        """
import torch.nn.functional as F

def train(model, optimizer, loader, update_freq):
    for data_iter, (x, y) in enumerate(loader):
        loss = F.cross_entropy(model(x), y)
        loss /= update_freq
        loss.backward()
        if (data_iter + 1) % update_freq != 0:
            continue
        optimizer.step()
        optimizer.zero_grad()
""",
        # Cleared once before the micro-batch loop; per-sample gradients read between the clearings.
        """
import torch

class Trainer:
    def train_single_accumulation(self, batch):
        loss = torch.nn.functional.mse_loss(self.model(batch.x), batch.y)
        loss.backward()
        return loss.detach()

    def hook_train_loop(self, batch_list):
        self.optimizer.zero_grad()
        for batch in batch_list:
            self.train_single_accumulation(batch)
        if not self.is_grad_accumulation_step:
            self.optimizer.step()

    def private_step(self, micro_batches):
        per_sample = []
        for batch in micro_batches:
            self.optimizer.zero_grad()
            self.train_single_accumulation(batch)
            per_sample.append([p.grad.clone() for p in self.model.parameters()])
        self.apply_noisy_mean(per_sample)
        self.optimizer.step()
""",
        # speechbrain's fix: each branch clears after its own step; and a clear under a test that changes
        # every micro-batch (`if first:`, set by the helper from the counter) is part of the accumulation.
        """
import torch


class Brain:
    def __init__(self, model, grad_accumulation_factor, auto_mix_prec):
        self.optimizer = torch.optim.Adam(model.parameters())
        self.scaler = torch.cuda.amp.GradScaler()
        self.grad_accumulation_factor = grad_accumulation_factor
        self.auto_mix_prec = auto_mix_prec
        self.step = 0

    def fit_batch(self, batch):
        should_step = self.step % self.grad_accumulation_factor == 0
        first = self.step % self.grad_accumulation_factor == 1
        if self.auto_mix_prec:
            loss = self.compute_loss(batch)
            self.scaler.scale(loss / self.grad_accumulation_factor).backward()
            if should_step:
                self.scaler.step(self.optimizer)
                self.scaler.update()
                self.optimizer.zero_grad()
        else:
            if first:
                self.optimizer.zero_grad()
            loss = self.compute_loss(batch)
            (loss / self.grad_accumulation_factor).backward()
            if should_step:
                self.optimizer.step()

    def fit(self, train_set):
        for batch in train_set:
            self.step += 1
            self.fit_batch(batch)
""",
        # The losses of k micro-batches are summed and their mean backpropagated once, under the guard that
        # resets the counter: dividing by the counter there is the mean.
        """
import torch

def train(model, optimizer, loader, k):
    total, n = 0, 0
    for batch in loader:
        total = total + model(batch)
        n += 1
        if n == k:
            loss = total / n
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            total = 0
            n = 0
""",
        # A running count divides only the logged value; the loss reaching backward() is the accumulation
        # count's share.
        """
import torch

def train(model, optimizer, loader, k):
    n = 0
    for batch in loader:
        n += 1
        loss = model(batch) / k
        shown = loss.item() / n
        loss.backward()
        if n >= k:
            optimizer.step()
            optimizer.zero_grad()
            n = 0
""",
        # Fabric's accumulation written right: the all-reduce skipped while accumulating, the loss divided,
        # the step on every k-th micro-batch.
        """
import torch
import lightning as L

def train(fabric: L.Fabric, model, optimizer, data, max_iters, accum):
    for iter_num in range(max_iters):
        is_accumulating = (iter_num + 1) % accum != 0
        with fabric.no_backward_sync(model, enabled=is_accumulating):
            input_ids, targets = get_batch(data)
            loss = torch.nn.functional.cross_entropy(model(input_ids), targets)
            fabric.backward(loss / accum)
        if not is_accumulating:
            optimizer.step()
            optimizer.zero_grad()
""",
        # DDP's `no_sync()` on the accumulating micro-batches, the loss divided.
        """
import torch

def train(model, optimizer, loader, accum):
    for i, (x, y) in enumerate(loader):
        if (i + 1) % accum != 0:
            with model.no_sync():
                loss = torch.nn.functional.cross_entropy(model(x), y) / accum
                loss.backward()
        else:
            loss = torch.nn.functional.cross_entropy(model(x), y) / accum
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
""",
        # A project loss module that sums: the loss is not a mean, its scale is the author's choice.
        """
import torch

class TokenLoss(torch.nn.Module):
    def forward(self, x, target):
        return torch.nn.functional.cross_entropy(x, target, reduction="sum")

loss_fn = TokenLoss()
for i, (x, y) in enumerate(loader):
    loss = loss_fn(model(x), y)
    loss.backward()
    if (i + 1) % accum == 0:
        optimizer.step()
        optimizer.zero_grad()
""",
        # Divided by the accumulation count and stepped every k; divided by a token count and stepped
        # every batch.
        """
import torch
for step, batch in enumerate(loader):
    loss = model(**batch).loss / args.gradient_accumulation_steps
    loss.backward()
    if (step + 1) % args.gradient_accumulation_steps == 0:
        optimizer.step()
        optimizer.zero_grad()
""",
        """
import torch
criterion = torch.nn.CrossEntropyLoss(reduction="sum")
for batch in loader:
    loss = criterion(model(batch.src), batch.tgt) / batch.ntokens
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
""",
        # Under accelerate's accumulate(): the prepared optimizer's zero_grad is skipped between sync
        # steps; a model's zero_grad only on the sync step; or an Accelerator accumulating one batch.
        """
import torch
from accelerate import Accelerator
accelerator = Accelerator(gradient_accumulation_steps=4)
model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
for batch in loader:
    with accelerator.accumulate(model):
        loss = model(**batch).loss
        accelerator.backward(loss)
        optimizer.step()
        optimizer.zero_grad()
        if accelerator.sync_gradients:
            model.zero_grad()
""",
        """
import torch
from accelerate import Accelerator
accelerator = Accelerator(gradient_accumulation_steps=1)
model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
for batch in loader:
    with accelerator.accumulate(model):
        loss = model(**batch).loss
        accelerator.backward(loss)
        optimizer.step()
        model.zero_grad()
""",
        # accelerate's backward accumulates by itself; the guard only counts optimizer updates.
        """
import torch
optimizer = torch.optim.AdamW(model.parameters())
for step, batch in enumerate(train_loader):
    loss = model(batch)
    accelerator.backward(loss)
    if step % args.gradient_accumulation_steps == 0:
        global_step += 1
    optimizer.step()
    optimizer.zero_grad()
""",
        # The loss divided by the accumulation steps.
        """
import torch
criterion = torch.nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for i, (x, y) in enumerate(loader):
    loss = criterion(model(x), y) / accum_steps
    loss.backward()
    if (i + 1) % accum_steps == 0:
        optimizer.step()
        optimizer.zero_grad()
""",
        # Divided in a helper, and through the AMP scaler.
        """
import torch
criterion = torch.nn.CrossEntropyLoss()
optimizer = torch.optim.AdamW(model.parameters())
scaler = torch.cuda.amp.GradScaler()

def compute_loss(model, x, y, k):
    return criterion(model(x), y) / k

for step, (x, y) in enumerate(loader):
    loss = compute_loss(model, x, y, cfg["accum"])
    scaler.scale(loss).backward()
    if (step + 1) % cfg["accum"] == 0:
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad()
for step, (x, y) in enumerate(loader):
    loss = criterion(model(x), y)
    scaler.scale(loss / cfg["accum"]).backward()
    if (step + 1) % cfg["accum"] == 0:
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad()
""",
        # In-place division, and nanoGPT's micro-step loop with the division.
        """
import torch
optimizer = torch.optim.AdamW(model.parameters())
for it in range(max_iters):
    for micro_step in range(gradient_accumulation_steps):
        loss = torch.nn.functional.cross_entropy(model(X), Y)
        loss /= gradient_accumulation_steps
        loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
""",
        # accelerate owns accumulation (and divides in accelerator.backward).
        """
import torch
optimizer = torch.optim.AdamW(model.parameters())
for batch in loader:
    with accelerator.accumulate(model):
        loss = model(**batch).loss
        accelerator.backward(loss)
        optimizer.step()
        optimizer.zero_grad()
for step, batch in enumerate(loader):
    loss = model(**batch).loss
    accelerator.backward(loss)
    if step % args.gradient_accumulation_steps == 0:
        optimizer.step()
        optimizer.zero_grad()
""",
        # A sum-reduced loss normalised by the number of tokens in the whole accumulated batch.
        """
import torch
import torch.nn.functional as F
optimizer = torch.optim.AdamW(model.parameters())
for i, (x, y) in enumerate(loader):
    loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten(), reduction="sum") / tokens_per_update
    loss.backward()
    if (i + 1) % k == 0:
        optimizer.step()
        optimizer.zero_grad()
""",
        # nanoGPT today: the model's own loss, unpacked and divided; a loss unpacked from a helper, or a
        # model asked for a summed loss, whose reductions are unknown.
        """
import torch
optimizer = torch.optim.AdamW(model.parameters())
scaler = torch.cuda.amp.GradScaler()
for it in range(max_iters):
    for micro_step in range(gradient_accumulation_steps):
        logits, loss = model(X, Y)
        loss = loss / gradient_accumulation_steps
        scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    optimizer.zero_grad(set_to_none=True)
for it in range(max_iters):
    for micro_step in range(gradient_accumulation_steps):
        loss, n_tokens = forward_step(model, next(batches))
        loss.backward()
    optimizer.step()
    optimizer.zero_grad()
for step, batch in enumerate(loader):
    loss = model(batch, reduction="sum")
    loss.backward()
    if (step + 1) % accum == 0:
        optimizer.step()
        optimizer.zero_grad()
""",
        # A GAN's generator updated every n_critic steps: its backward is inside the guard.
        """
import torch
opt_d = torch.optim.RMSprop(net_d.parameters())
opt_g = torch.optim.RMSprop(net_g.parameters())
for i, real in enumerate(loader):
    opt_d.zero_grad()
    loss_d = -(net_d(real).mean() - net_d(net_g(z)).mean())
    loss_d.backward()
    opt_d.step()
    if i % n_critic == 0:
        opt_g.zero_grad()
        loss_g = -net_d(net_g(z)).mean()
        loss_g.backward()
        opt_g.step()
""",
        # Clearing at the start of each window, under its own modulo condition.
        """
import torch
criterion = torch.nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for i, (x, y) in enumerate(loader):
    if i % k == 0:
        optimizer.zero_grad()
    loss = criterion(model(x), y) / k
    loss.backward()
    if (i + 1) % k == 0 or i == len(loader) - 1:
        optimizer.step()
""",
        # Lazy regularisation (StyleGAN2's R1 and path-length penalties): every k-th iteration an extra
        # update that clears, backpropagates and steps by itself, beside the step of every iteration.
        """
import torch

def train(loader, generator, discriminator, g_optim, d_optim, args):
    for i, real in enumerate(loader):
        fake = generator(torch.randn(real.size(0), 512))
        d_loss = torch.nn.functional.softplus(discriminator(fake.detach())).mean()
        discriminator.zero_grad()
        d_loss.backward()
        d_optim.step()
        d_regularize = i % args.d_reg_every == 0
        if d_regularize:
            real.requires_grad = True
            r1_loss = r1_penalty(discriminator(real), real)
            discriminator.zero_grad()
            (args.r1 / 2 * r1_loss * args.d_reg_every).backward()
            d_optim.step()
        g_loss = torch.nn.functional.softplus(-discriminator(generator(torch.randn(8, 512)))).mean()
        generator.zero_grad()
        g_loss.backward()
        g_optim.step()
        if i % args.g_reg_every == 0:
            path_loss = path_penalty(generator)
            generator.zero_grad()
            (args.path_regularize * args.g_reg_every * path_loss).backward()
            g_optim.step()
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        # An Ignite process function is the body of the batch loop `trainer.run(loader)` runs: it clears
        # on every call while the step waits for `engine.state.iteration` to reach a multiple of k.
        Invalid(
            """
import torch
from ignite.engine import Engine

def main(model, optimizer, loader, args):
    def update(engine, batch):
        model.train()
        optimizer.zero_grad()
        x, y = batch
        loss = torch.nn.functional.cross_entropy(model(x), y) / args.gradient_accumulation_steps
        loss.backward()
        if engine.state.iteration % args.gradient_accumulation_steps == 0:
            optimizer.step()
        return loss.item()

    trainer = Engine(update)
    trainer.run(loader)
""",
            line=8,
        ),
        # The step follows a guard that skips the rest of the iteration while accumulating, and the mean
        # loss goes to Fabric's backward undivided (fish-speech's early LLM trainer).
        Invalid(
            """
def train(model, optimizer, loader, fabric, accumulation_steps):
    steps = 0
    for batch in loader:
        is_accumulating = steps % accumulation_steps != 0
        steps += 1
        with fabric.no_backward_sync(model, enabled=is_accumulating):
            loss = model(**batch).loss
            fabric.backward(loss)
        if is_accumulating:
            continue
        optimizer.step()
        optimizer.zero_grad()
""",
            line=9,
        ),
        # The per-step method clears on every micro-batch before a method of the class backpropagates it,
        # and steps once after the loop (ai-toolkit's SDTrainer).
        Invalid(
            """
import torch

class Trainer:
    def train_single_accumulation(self, batch):
        loss = torch.nn.functional.mse_loss(self.model(batch.x), batch.y)
        loss.backward()
        return loss.detach()

    def hook_train_loop(self, batch_list):
        for batch in batch_list:
            self.optimizer.zero_grad()
            self.train_single_accumulation(batch)
        if not self.is_grad_accumulation_step:
            self.optimizer.step()
            self.optimizer.zero_grad()
""",
            line=12,
        ),
        # The loss is divided by the running micro-batch counter (1, 2, 3, ...) that the step's guard
        # resets, not by the accumulation count (neural_sp's ASR training loop).
        Invalid(
            """
import torch

def train(model, optimizer, loader, tasks, accum_grad_n_steps):
    accum_n_steps = 0
    for batch in loader:
        accum_n_steps += 1
        for task in tasks:
            loss = model(batch, task=task)
            loss = loss / accum_n_steps
            loss.backward()
            if accum_n_steps >= accum_grad_n_steps:
                optimizer.step()
                optimizer.zero_grad()
                accum_n_steps = 0
""",
            line=10,
        ),
        # The criterion is one of two mean losses: a project label-smoothing module whose forward returns
        # a mean, or CrossEntropyLoss (atlas's finetune loop).
        Invalid(
            """
import torch

class LabelSmoothing(torch.nn.Module):
    def forward(self, x, target):
        logprobs = torch.nn.functional.log_softmax(x, dim=-1)
        loss = -logprobs.gather(dim=-1, index=target.unsqueeze(1)).squeeze(1)
        return loss.mean()

if args.ls > 0:
    loss_fn = LabelSmoothing()
else:
    loss_fn = torch.nn.CrossEntropyLoss()
scaler = torch.cuda.amp.GradScaler()
for i, (x, y) in enumerate(loader):
    loss = loss_fn(model(x), y)
    scaler.scale(loss).backward()
    if (i + 1) % args.num_grad_accumulation == 0:
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad()
""",
            line=17,
        ),
        # The loss is divided by the accumulation count, but the step runs on every micro-batch
        # (reformer's pretraining loop).
        Invalid(
            """
import torch
loss_fn = torch.nn.CrossEntropyLoss()
for epoch in range(epochs):
    for step, batch in enumerate(loader):
        loss = loss_fn(model(batch["x"]), batch["y"])
        if gradient_accumulation_steps > 1:
            loss /= gradient_accumulation_steps
        loss.backward()
        optimizer.step()
        model.zero_grad()
""",
            line=10,
        ),
        # The model's zero_grad inside accelerate's accumulate() (alpaca-farm's PPO trainer): accelerate
        # does not skip it between sync steps, so each micro-batch's gradients are wiped.
        Invalid(
            """
import torch

class Trainer:
    def step_with_rollouts(self, loader):
        for batch in loader:
            with self.accelerator.accumulate(self.policy):
                loss = self.compute_loss(batch)
                self.accelerator.backward(loss)
                self.optimizer.step()
                self.policy.zero_grad(set_to_none=True)
""",
            line=11,
        ),
        # The accumulation guard gates only clipping and counters; the step runs every micro-batch.
        Invalid(
            """
import torch
optimizer = torch.optim.AdamW(model.parameters())
for epoch in range(epochs):
    for step, batch in enumerate(train_loader):
        loss = model(batch)
        loss.backward()
        actual_step += 1
        if actual_step % gradient_accumulation_steps == 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            global_step += 1
        if optimizer is not None:
            optimizer.step()
            optimizer.zero_grad()
""",
            line=13,
        ),
        # Inline: a mean loss, undivided.
        Invalid(
            """
import torch
criterion = torch.nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for i, (x, y) in enumerate(loader):
    loss = criterion(model(x), y)
    loss.backward()
    if (i + 1) % accum_steps == 0:
        optimizer.step()
        optimizer.zero_grad()
""",
            line=7,
        ),
        # Through a helper that computes the loss, with the steps from a config dict, under AMP.
        Invalid(
            """
import torch
import torch.nn.functional as F
optimizer = torch.optim.AdamW(model.parameters())
scaler = torch.cuda.amp.GradScaler()

def compute_loss(model, batch):
    x, y = batch
    return F.cross_entropy(model(x), y)

for step, batch in enumerate(loader):
    loss = compute_loss(model, batch)
    scaler.scale(loss).backward()
    if (step + 1) % config["grad_accum_steps"] == 0:
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad()
""",
            line=13,
        ),
        # A Hugging Face model's loss in a micro-step loop (nanoGPT shape), undivided.
        Invalid(
            """
import torch
optimizer = torch.optim.AdamW(model.parameters())
for it in range(max_iters):
    for micro_step in range(grad_accum):
        out = model(**next(batches))
        out.loss.backward()
    optimizer.step()
    optimizer.zero_grad()
""",
            line=7,
        ),
        # nanoGPT before its fix: the model's own loss, unpacked from its forward, never divided.
        Invalid(
            """
import torch
optimizer = torch.optim.AdamW(model.parameters())
scaler = torch.cuda.amp.GradScaler()
for it in range(max_iters):
    for micro_step in range(gradient_accumulation_steps):
        logits, loss = model(X, Y)
        X, Y = get_batch("train")
        scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    optimizer.zero_grad(set_to_none=True)
""",
            line=9,
        ),
        # A model (a parameter) that returns its loss, stepped under a modulo guard, undivided.
        Invalid(
            """
import torch

def train(config, model, loader):
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    for step, batch in enumerate(loader):
        loss = model(batch["tokens"], return_type="loss")
        loss.backward()
        if (step + 1) % config.accum_steps == 0:
            optimizer.step()
            optimizer.zero_grad()
""",
            line=8,
        ),
        # Clearing on every micro-batch: only the last one reaches the step.
        Invalid(
            """
import torch
criterion = torch.nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for i, (x, y) in enumerate(loader):
    optimizer.zero_grad()
    loss = criterion(model(x), y) / accum
    loss.backward()
    if (i + 1) % accum == 0:
        optimizer.step()
""",
            line=6,
        ),
        # Clearing inside the micro-batch loop, through a helper.
        Invalid(
            """
import torch
optimizer = torch.optim.AdamW(model.parameters())

def micro_step(model, optimizer, batch, k):
    optimizer.zero_grad()
    loss = model(**batch).loss / k
    loss.backward()

for it in range(max_iters):
    for micro in range(cfg.accum_steps):
        micro_step(model, optimizer, next(batches), cfg.accum_steps)
    optimizer.step()
""",
            line=12,
        ),
        # speechbrain's `fit_batch`: the mixed-precision branch clears on every call, the step waits for
        # `should_step`; the batch loop calls it once per micro-batch.
        Invalid(
            """
import torch


class Brain:
    def __init__(self, model, grad_accumulation_factor, auto_mix_prec):
        self.optimizer = torch.optim.Adam(model.parameters())
        self.scaler = torch.cuda.amp.GradScaler()
        self.grad_accumulation_factor = grad_accumulation_factor
        self.auto_mix_prec = auto_mix_prec
        self.step = 0

    def fit_batch(self, batch):
        should_step = self.step % self.grad_accumulation_factor == 0
        if self.auto_mix_prec:
            self.optimizer.zero_grad()
            loss = self.compute_loss(batch)
            self.scaler.scale(loss / self.grad_accumulation_factor).backward()
            if should_step:
                self.scaler.step(self.optimizer)
                self.scaler.update()
        else:
            loss = self.compute_loss(batch)
            (loss / self.grad_accumulation_factor).backward()
            if should_step:
                self.optimizer.step()
                self.optimizer.zero_grad()

    def fit(self, train_set):
        for batch in train_set:
            self.step += 1
            self.fit_batch(batch)
""",
            line=32,
        ),
        # An inverted guard steps on k - 1 of every k batches.
        Invalid(
            """
import torch
criterion = torch.nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for i, (x, y) in enumerate(loader):
    loss = criterion(model(x), y) / k
    loss.backward()
    if i % k != 0:
        optimizer.step()
        optimizer.zero_grad()
""",
            line=8,
        ),
        # Lightning Fabric's backward backpropagates the loss as given: it does not divide by the
        # accumulation steps (lit-llama's LoRA finetuning loop).
        Invalid(
            """
import torch
import lightning as L

def train(fabric: L.Fabric, model, optimizer, data, max_iters, accum):
    for iter_num in range(max_iters):
        input_ids, targets = get_batch(data)
        loss = torch.nn.functional.cross_entropy(model(input_ids), targets)
        fabric.backward(loss)
        if (iter_num + 1) % accum == 0:
            optimizer.step()
            optimizer.zero_grad()
""",
            line=9,
        ),
        # Fabric's `no_backward_sync` only skips the all-reduce; the loop's inverted flag still decides
        # when it steps (lit-llama's full finetuning loop).
        Invalid(
            """
import torch
import lightning as L

def train(fabric: L.Fabric, model, optimizer, data, max_iters, accum):
    for iter_num in range(max_iters):
        is_accumulating = (iter_num + 1) % accum == 0
        with fabric.no_backward_sync(model, enabled=is_accumulating):
            input_ids, targets = get_batch(data)
            loss = torch.nn.functional.cross_entropy(model(input_ids), targets)
            fabric.backward(loss / accum)
        if not is_accumulating:
            optimizer.step()
            optimizer.zero_grad()
""",
            line=12,
        ),
    ]

    def check_loop(self, loop: Loop) -> None:
        running = self.ctx.accumulation.divided_by_running_count(loop)
        if running is not None:
            division, counter = running
            self.report(
                division,
                f"This divides the loss by `{counter}`, the running count of micro-batches (1, 2, 3, ...), "
                "so the micro-batches of one step are weighted unequally; divide by the accumulation steps.",
            )
            return
        accumulation = self.ctx.accumulation.of_loop(loop)
        if accumulation is None:
            outside = self.ctx.accumulation.steps_outside_guard(loop)
            if outside is not None:
                self.report(
                    outside[1].site,
                    "This loop has a gradient-accumulation guard but the optimizer steps outside it, on "
                    "every micro-batch, so nothing accumulates; step and clear inside the guard.",
                )
                return
            step = self.ctx.accumulation.steps_every_divided_micro_batch(loop)
            if step is not None:
                self.report(
                    step.site,
                    "This loop divides the loss by the accumulation steps but steps the optimizer on every "
                    "micro-batch, so nothing accumulates and every update is k times too small; step and "
                    "clear only every k micro-batches.",
                )
                return
            zero = self.ctx.accumulation.clears_model_under_accumulate(loop)
            if zero is not None:
                self.report(
                    zero.site,
                    "This clears the model's gradients on every micro-batch inside `accumulate()`, which "
                    "skips only the prepared optimizer's `zero_grad()` and `step()` between sync steps, so "
                    "only the last micro-batch reaches the step; call `optimizer.zero_grad()` instead.",
                )
                return
            zero = self.ctx.accumulation.clears_before_step_after(loop)
            if zero is not None:
                self.report(
                    zero.site,
                    "The gradients are cleared on every micro-batch of this loop while the optimizer steps "
                    "once after it, so only the last micro-batch reaches the step; clear once before the "
                    "loop instead.",
                )
            return
        if accumulation.inverted and accumulation.guard is not None:
            self.report(
                accumulation.guard,
                "This guard steps the optimizer on every batch except each k-th, the inverse of gradient "
                "accumulation; step when `(i + 1) % k == 0`.",
            )
            return
        zero = self.ctx.accumulation.clears_every_micro_batch(accumulation)
        if zero is not None:
            self.report(
                zero.site,
                "The gradients are cleared on every micro-batch while the optimizer steps once every k, so "
                "only the last micro-batch reaches the step; clear right after the step instead.",
            )
            return
        self._check_division(accumulation)

    def _check_division(self, accumulation: Accumulation) -> None:
        for backward in accumulation.loop.of_kind(EventKind.BACKWARD, own=False):
            if (
                accumulation.micro_loop is not None
                and accumulation.micro_loop not in self.ctx.index.ancestors(backward.site)
            ):
                continue
            if self.ctx.accumulation.loss_divided(backward) is False:
                self.report(backward.site)
                return
