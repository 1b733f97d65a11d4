"""What a probe costs, in training steps: probe time divided by one training step (forward, backward, AdamW
step) of the same model at the user's batch size, measured side by side in one run (medians over repeats).

    python bench/probe_bench.py --device cpu
    python bench/probe_bench.py --device cuda --repeats 15

Two models: a small conv net (CIFAR-sized images, batch 64) and a small GPT (4 layers, width 128, 64 steps,
batch 32). "detection" probes the correct model (batch mixing, and causality for the GPT). "detection +
localization" probes a buggy twin (a batch-mean subtraction in the conv net, a missing causal mask in the
GPT), so the probe also computes the dependency matrix and captures a graph to name the line.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

import nnlint


class ConvNet(nn.Module):
    def __init__(self, bug: bool = False) -> None:
        super().__init__()
        self.bug = bug
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1),
            nn.BatchNorm2d(128),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(x)
        if self.bug:
            h = h - h.mean(dim=0, keepdim=True)
        return self.head(h)


class Attention(nn.Module):
    def __init__(self, width: int, heads: int, steps: int, bug: bool) -> None:
        super().__init__()
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.heads = heads
        self.bug = bug
        self.register_buffer("mask", torch.tril(torch.ones(steps, steps)).view(1, 1, steps, steps))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.size()
        q, k, v = self.qkv(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))
        if not self.bug:
            att = att.masked_fill(self.mask[:, :, :t, :t] == 0, float("-inf"))
        y = att.softmax(dim=-1) @ v
        return self.proj(y.transpose(1, 2).contiguous().view(b, t, c))


class Block(nn.Module):
    def __init__(self, width: int, heads: int, steps: int, bug: bool) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(width)
        self.attn = Attention(width, heads, steps, bug)
        self.ln2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(
        self,
        vocab: int = 256,
        width: int = 128,
        heads: int = 4,
        steps: int = 64,
        layers: int = 4,
        bug: bool = False,
    ) -> None:
        super().__init__()
        self.tok = nn.Embedding(vocab, width)
        self.pos = nn.Embedding(steps, width)
        self.blocks = nn.ModuleList(Block(width, heads, steps, bug) for _ in range(layers))
        self.ln = nn.LayerNorm(width)
        self.head = nn.Linear(width, vocab, bias=False)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.tok(idx) + self.pos(torch.arange(idx.size(1), device=idx.device))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x))


def _timed(device: torch.device, work: Callable[[], object]) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    work()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


def measure(
    name: str,
    build: Callable[[bool], nn.Module],
    inputs: torch.Tensor,
    targets: torch.Tensor,
    causal: bool,
    device: torch.device,
    repeats: int,
) -> None:
    model, buggy = build(False).to(device), build(True).to(device)
    buggy.load_state_dict(model.state_dict())
    inputs, targets = inputs.to(device), targets.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def train_step() -> None:
        model.train()
        logits = model(inputs)
        F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1)).backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    def detect() -> None:
        report = nnlint.probe(model, inputs, causal=causal, device=str(device), localize=False)
        assert report.clean, report.text()

    def detect_and_localize() -> None:
        report = nnlint.probe(buggy, inputs, causal=causal, device=str(device))
        assert not report.clean and report.confirmed_lines(), report.text()

    for _ in range(3):  # warm-up: allocator, cuDNN autotuning, lazy imports
        train_step()
    detect()
    detect_and_localize()
    times: dict[str, list[float]] = {"train": [], "detect": [], "full": []}
    for _ in range(repeats):  # interleaved, so drift on a shared machine hits all three alike
        times["train"].append(_timed(device, train_step))
        times["detect"].append(_timed(device, detect))
        times["full"].append(_timed(device, detect_and_localize))
    train, detect_s, full = (statistics.median(times[key]) for key in ("train", "detect", "full"))
    print(
        f"{name:<9} batch {inputs.shape[0]:>3}  train step {train * 1e3:8.2f} ms | "
        f"detection {detect_s * 1e3:8.2f} ms = {detect_s / train:5.2f}x | "
        f"detection + localization {full * 1e3:8.2f} ms = {full / train:5.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or mps")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's own)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    label = (
        torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} threads"
    )
    print(f"torch {torch.__version__} on {device} ({label}), medians of {args.repeats} repeats")
    torch.manual_seed(0)
    measure(
        "conv net",
        lambda bug: ConvNet(bug),
        torch.randn(64, 3, 32, 32),
        torch.randint(0, 10, (64,)),
        causal=False,
        device=device,
        repeats=args.repeats,
    )
    tokens = torch.randint(0, 256, (32, 65))
    measure(
        "GPT",
        lambda bug: GPT(bug=bug),
        tokens[:, :-1],
        tokens[:, 1:],
        causal=True,
        device=device,
        repeats=args.repeats,
    )


if __name__ == "__main__":
    main()
