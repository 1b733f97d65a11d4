"""`nnlint run` and `nnlint probe` on real PyTorch Lightning, Hugging Face and accelerate code (CPU, tiny).

The test suite takes the frameworks' paths through torch with stand-ins (tests/run/test_framework_paths.py,
tests/probe/test_real_models.py); this runs the real things. Each training script is written the way
practitioners write it, with an optional planted bug. For each: the plain script's wall time, `nnlint run`'s
(checks, then stop) and `nnlint run --continue`'s (checks, then the whole training), the findings, and whether
they are the expected ones. Then the probe on real models built from configs (no network). A framework that is
not installed is skipped with a message.

    python bench/real_frameworks.py [--only lightning,transformers,accelerate] [--repeats 1]

Install the frameworks in a separate environment, keeping the torch you have:
    pip install -c <(python -c 'import torch; print("torch==" + torch.__version__)') \\
        lightning transformers accelerate
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

LIGHTNING = """
import sys
import lightning as L
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

class Classifier(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 4))

    def forward(self, x):
        logits = self.net(x)
        return logits.softmax(-1) if sys.argv[1] == "softmax" else logits

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss)  # builds torchmetrics objects
        return loss

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=1e-3)

L.seed_everything(0, verbose=False)
x = torch.randn(512, 20)
y = (2 * x[:, :4]).argmax(1)
trainer = L.Trainer(max_epochs=2, accelerator="cpu", logger=False, enable_checkpointing=False,
                    enable_progress_bar=False, enable_model_summary=False)
trainer.fit(Classifier(), DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True))
"""

HF_TRAINER = """
import sys
import torch
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

class Tokens(torch.utils.data.Dataset):
    def __init__(self):
        self.ids = torch.randint(5, 100, (256, 16), generator=torch.Generator().manual_seed(0))
        self.labels = (self.ids[:, 1] > 50).long()

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "attention_mask": torch.ones(16, dtype=torch.long),
                "labels": self.labels[i]}

config = BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                    intermediate_size=64, max_position_embeddings=64, num_labels=2)
args = TrainingArguments(output_dir=sys.argv[2], per_device_train_batch_size=16, num_train_epochs=1,
                         learning_rate=50.0 if sys.argv[1] == "lr" else 5e-4, save_strategy="no",
                         report_to=[], use_cpu=True, seed=0, disable_tqdm=True, logging_strategy="no")
Trainer(model=BertForSequenceClassification(config), args=args, train_dataset=Tokens()).train()
"""

ACCELERATE = """
import sys
import torch
from accelerate import Accelerator
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

accelerator = Accelerator(cpu=True)
torch.manual_seed(0)
x, y = torch.randn(512, 10), torch.randint(0, 5, (512,))
x[torch.arange(512), y] += 2.0
model = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 5))
if sys.argv[1] == "softmax":
    model.append(nn.Softmax(dim=-1))
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
model, optimizer, loader = accelerator.prepare(model, optimizer, loader)
for epoch in range(2):
    for xb, yb in loader:
        optimizer.zero_grad()
        accelerator.backward(nn.functional.cross_entropy(model(xb), yb))
        optimizer.step()
"""

GPT2 = """
import sys
import torch
from transformers import BertConfig, BertLMHeadModel, GPT2Config, GPT2LMHeadModel

torch.manual_seed(0)
if sys.argv[1] == "bert":  # a bidirectional model trained as an LM: is_decoder left False
    config = BertConfig(vocab_size=64, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64)
    model = BertLMHeadModel(config)
else:
    model = GPT2LMHeadModel(GPT2Config(vocab_size=64, n_positions=64, n_embd=32, n_layer=2, n_head=2))
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
data = torch.randint(0, 64, (2000,))
for step in range(20):
    starts = torch.randint(0, len(data) - 33, (8,))
    batch = torch.stack([data[s : s + 32] for s in starts])
    model(input_ids=batch, labels=batch).loss.backward()
    optimizer.step()
    optimizer.zero_grad()
"""

VIT = """
import sys
import torch
from transformers import ViTConfig, ViTForImageClassification

torch.manual_seed(0)
config = ViTConfig(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                   intermediate_size=64, num_labels=5)
model = ViTForImageClassification(config)
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4)
images = torch.randn(256, 3, 32, 32)
labels = images[:, 0, :4, :4].flatten(1).argmax(1) % 5
for i in range(0, 256, 32):
    model(pixel_values=images[i : i + 32], labels=labels[i : i + 32]).loss.backward()
    optimizer.step()
    optimizer.zero_grad()
"""

# (framework, name, script, argument, expected codes of `nnlint run`)
RUNS = [
    ("lightning", "lightning", LIGHTNING, "clean", set()),
    ("lightning", "lightning", LIGHTNING, "softmax", {"NN912"}),
    ("transformers", "hf_trainer", HF_TRAINER, "clean", set()),
    ("transformers", "hf_trainer", HF_TRAINER, "lr", {"NN915"}),
    ("accelerate", "accelerate", ACCELERATE, "clean", set()),
    ("accelerate", "accelerate", ACCELERATE, "softmax", {"NN912"}),
    ("transformers", "gpt2_loop", GPT2, "clean", set()),
    # labels=input_ids, shifted inside the model: causality is tested unasked
    ("transformers", "gpt2_loop", GPT2, "bert", {"NN902"}),
    ("transformers", "vit_loop", VIT, "clean", set()),
]

MODELS = """
import torch
from torch import nn

def _ids():
    return torch.randint(0, 100, (4, 16), generator=torch.Generator().manual_seed(0))

def _bert(cls, **extra):
    from transformers import BertConfig
    return cls(BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                          intermediate_size=64, max_position_embeddings=64, **extra))

def bert():
    from transformers import BertForSequenceClassification
    ids = _ids()
    mask = torch.ones_like(ids)
    mask[:, 12:] = 0
    return _bert(BertForSequenceClassification, num_labels=3), {"input_ids": ids, "attention_mask": mask}

def bert_as_causal_lm():
    from transformers import BertLMHeadModel
    return {"model": _bert(BertLMHeadModel), "inputs": {"input_ids": _ids()}, "causal": True}

def gpt2():
    from transformers import GPT2Config, GPT2LMHeadModel
    model = GPT2LMHeadModel(GPT2Config(vocab_size=100, n_positions=64, n_embd=32, n_layer=2, n_head=2))
    return {"model": model, "inputs": {"input_ids": _ids()}, "causal": True}

def lightning_demo_transformer():
    from lightning.pytorch.demos import Transformer
    ids = torch.randint(0, 100, (4, 12), generator=torch.Generator().manual_seed(0))
    model = Transformer(vocab_size=100, ninp=32, nhead=2, nhid=32, nlayers=1)
    return {"model": model, "inputs": (ids[:, :-1], ids[:, 1:]), "causal": True}
"""

# (framework, factory, extra flags, expected codes of `nnlint probe`)
PROBES = [
    ("transformers", "bert", ["--train-mode"], set()),
    ("transformers", "bert_as_causal_lm", [], {"NN902"}),
    ("transformers", "gpt2", [], set()),
    # The demo's encoder reads the whole input sequence with no mask: its "language model" sees the future.
    ("lightning", "lightning_demo_transformer", [], {"NN902"}),
]


def _timed(command: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done


def _codes(done: subprocess.CompletedProcess[str]) -> set[str] | None:
    try:
        return {finding["code"] for finding in json.loads(done.stdout or "[]")}
    except json.JSONDecodeError:
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated frameworks (lightning, transformers, accelerate)")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each command (the median is shown)")
    args = parser.parse_args()
    wanted = set(args.only.split(",")) if args.only else {"lightning", "transformers", "accelerate"}
    present = {name for name in wanted if importlib.util.find_spec(name) is not None}
    for name in sorted(wanted - present):
        print(f"skipped {name}: not installed (see this script's docstring)")
    nnlint = [sys.executable, "-m", "nnlint"]
    mismatches = 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for framework, name, source, argument, expected in RUNS:
            if framework not in present:
                continue
            script = work / f"train_{name}.py"  # not `lightning.py`: it would shadow the package
            script.write_text(textwrap.dedent(source))
            script_args = [argument, str(work / "out")]
            commands = {
                "plain": [sys.executable, str(script), *script_args],
                "run": [*nnlint, "run", "--format", "json", str(script), "--", *script_args],
                "continue": [
                    *nnlint,
                    "run",
                    "--continue",
                    "--format",
                    "json",
                    str(script),
                    "--",
                    *script_args,
                ],
            }
            times: dict[str, float] = {}
            codes: set[str] | None = set()
            for label, command in commands.items():
                runs = [_timed(command, work) for _ in range(args.repeats)]
                times[label] = statistics.median(seconds for seconds, _ in runs)
                done = runs[-1][1]
                if label == "plain" and done.returncode != 0:
                    print(f"{name} {argument}: the plain script failed\n{done.stderr[-2000:]}")
                if label == "run":
                    codes = _codes(done)
                    if codes is None or "checked at the first" not in done.stderr:
                        print(f"{name} {argument}: nnlint run failed\n{done.stderr[-3000:]}")
            ok = codes == expected
            mismatches += not ok
            verdict = "ok      " if ok else "MISMATCH"
            print(
                f"{verdict} run   {name:<12} {argument:<8} findings {sorted(codes or [])} "
                f"(expected {sorted(expected)}); plain {times['plain']:.1f} s, run {times['run']:.1f} s, "
                f"--continue {times['continue']:.1f} s ({times['continue'] / times['plain']:.2f}x plain)"
            )
        (work / "models.py").write_text(textwrap.dedent(MODELS))
        for framework, factory, flags, expected in PROBES:
            if framework not in present:
                continue
            command = [*nnlint, "probe", "--format", "json", *flags, f"models.py:{factory}"]
            seconds, done = _timed(command, work)
            codes = _codes(done)
            if codes is None or done.returncode not in (0, 1):
                print(f"{factory}: nnlint probe failed\n{done.stderr[-3000:]}")
            ok = codes == expected
            mismatches += not ok
            print(
                f"{'ok      ' if ok else 'MISMATCH'} probe {factory:<28} findings {sorted(codes or [])} "
                f"(expected {sorted(expected)}); {seconds:.1f} s"
            )
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
