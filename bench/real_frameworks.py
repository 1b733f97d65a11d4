"""`nnlint run` and `nnlint probe` on real PyTorch Lightning, Hugging Face and accelerate code (CPU, tiny).

The test suite takes the frameworks' paths through torch with stand-ins (tests/run/test_framework_paths.py,
tests/probe/test_real_models.py); this runs the real things. Each training script is written the way
practitioners write it, with an optional planted bug. For each: the plain script's wall time, `nnlint run`'s
(checks, then stop) and `nnlint run --continue`'s (checks, then the whole training), the findings, and whether
they are the expected ones. Then the probe on real models built from configs (no network): transformers'
encoders, decoders, encoder-decoders, CLIP and audio models, torchvision's classifiers, segmenters and
detectors, pytorch/examples-style models, each with the verdict a user needs (planted bugs included). A
framework that is not installed is skipped with a message.

    python bench/real_frameworks.py [--only lightning,transformers,accelerate,torchvision,torch] [--repeats 1]
    python bench/real_frameworks.py --probes-only    # the probe sweep alone

Install the frameworks in a separate environment, keeping the torch you have:
    pip install -c <(python -c 'import torch; print("torch==" + torch.__version__)') \\
        lightning transformers accelerate torchvision
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
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
        self.encoder = nn.Sequential(nn.Linear(20, 64), nn.ReLU())
        self.head = nn.Linear(64, 4)

    def forward(self, x):
        features = self.encoder(x)
        if sys.argv[1] == "detach":  # the bug: the encoder never gets a gradient
            features = features.detach()
        logits = self.head(features)
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
class WeightedTrainer(Trainer):  # a custom loss, as for class weights; "softmax" plants probabilities into CE
    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        logits = outputs.logits.softmax(-1) if sys.argv[1] == "softmax" else outputs.logits
        loss = torch.nn.functional.cross_entropy(logits, labels, weight=torch.tensor([1.0, 2.0]))
        return (loss, outputs) if return_outputs else loss

trainer = WeightedTrainer if sys.argv[1] in ("weighted", "softmax") else Trainer
trainer(model=BertForSequenceClassification(config), args=args, train_dataset=Tokens()).train()
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
    ("lightning", "lightning", LIGHTNING, "detach", {"NN916"}),
    ("transformers", "hf_trainer", HF_TRAINER, "clean", set()),
    ("transformers", "hf_trainer", HF_TRAINER, "lr", {"NN915"}),
    ("transformers", "hf_trainer", HF_TRAINER, "weighted", set()),
    ("transformers", "hf_trainer", HF_TRAINER, "softmax", {"NN912"}),
    ("accelerate", "accelerate", ACCELERATE, "clean", set()),
    ("accelerate", "accelerate", ACCELERATE, "softmax", {"NN912"}),
    ("transformers", "gpt2_loop", GPT2, "clean", set()),
    # labels=input_ids, shifted inside the model: causality is tested unasked
    ("transformers", "gpt2_loop", GPT2, "bert", {"NN902"}),
    ("transformers", "vit_loop", VIT, "clean", set()),
]

MODELS = """
import importlib.util
import sys
import types

import torch
from torch import nn


def _gen():
    return torch.Generator().manual_seed(0)


def _ids(steps=16):
    return torch.randint(0, 100, (4, steps), generator=_gen())


def _images(size=32):
    return torch.randn(4, 3, size, size, generator=_gen())


def _torchvision():
    # A torchvision wheel built for another torch (or CUDA) cannot load its compiled ops; its models are
    # plain Python all the same. Skip the ops' fake-kernel registrations and give the detectors a pure-torch
    # NMS, the one compiled op they call in eval mode.
    try:
        import torchvision
    except (OSError, RuntimeError):
        for name in [name for name in sys.modules if name.startswith("torchvision")]:
            del sys.modules[name]
        sys.modules["torchvision._meta_registrations"] = types.ModuleType("torchvision._meta_registrations")
        import torchvision
        from torchvision.ops import boxes

        def nms(box, scores, threshold):
            order, keep = scores.argsort(descending=True), []
            while order.numel():
                keep.append(order[0])
                overlap = boxes.box_iou(box[order[0]][None], box[order[1:]])[0]
                order = order[1:][overlap <= threshold]
            return torch.stack(keep) if keep else torch.zeros(0, dtype=torch.long)

        boxes.nms = torchvision.ops.nms = nms
    return torchvision


if importlib.util.find_spec("torchvision") is not None:
    _torchvision()  # transformers imports it too


def _bert(cls, **extra):
    from transformers import BertConfig
    return cls(BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                          intermediate_size=64, max_position_embeddings=64, **extra))


def _decoder(config_cls, model_cls, **extra):
    config = config_cls(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, **extra)
    return {"model": model_cls(config), "inputs": {"input_ids": _ids()}, "causal": True}


def bert():
    from transformers import BertForSequenceClassification
    ids = _ids()
    mask = torch.ones_like(ids)
    mask[:, 12:] = 0
    return _bert(BertForSequenceClassification, num_labels=3), {"input_ids": ids, "attention_mask": mask}


def bert_as_causal_lm():
    from transformers import BertLMHeadModel
    return {"model": _bert(BertLMHeadModel), "inputs": {"input_ids": _ids()}, "causal": True}


def distilbert():
    from transformers import DistilBertConfig, DistilBertForSequenceClassification
    config = DistilBertConfig(vocab_size=100, dim=32, n_layers=2, n_heads=2, hidden_dim=64,
                              max_position_embeddings=64)
    return DistilBertForSequenceClassification(config), {"input_ids": _ids()}


def roberta_mlm():
    from transformers import RobertaConfig, RobertaForMaskedLM
    config = RobertaConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                           intermediate_size=64, max_position_embeddings=64, pad_token_id=1)
    return RobertaForMaskedLM(config), {"input_ids": _ids()}


def gpt2():
    from transformers import GPT2Config, GPT2LMHeadModel
    model = GPT2LMHeadModel(GPT2Config(vocab_size=100, n_positions=64, n_embd=32, n_layer=2, n_head=2))
    ids = _ids()
    mask = torch.ones_like(ids)
    mask[:, 12:] = 0  # right padding
    return {"model": model, "inputs": {"input_ids": ids, "attention_mask": mask}, "causal": True}


def llama():
    from transformers import LlamaConfig, LlamaForCausalLM
    return _decoder(LlamaConfig, LlamaForCausalLM, num_key_value_heads=1)


def mistral():  # sliding-window attention
    from transformers import MistralConfig, MistralForCausalLM
    return _decoder(MistralConfig, MistralForCausalLM, num_key_value_heads=1, sliding_window=4)


def qwen2():
    from transformers import Qwen2Config, Qwen2ForCausalLM
    return _decoder(Qwen2Config, Qwen2ForCausalLM, num_key_value_heads=1)


def mixtral():  # mixture of experts: top-2 routing per token
    from transformers import MixtralConfig, MixtralForCausalLM
    return _decoder(MixtralConfig, MixtralForCausalLM, num_key_value_heads=1, num_local_experts=4,
                    num_experts_per_tok=2)


def opt():
    from transformers import OPTConfig, OPTForCausalLM
    config = OPTConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, ffn_dim=64,
                       max_position_embeddings=64, word_embed_proj_dim=32)
    return {"model": OPTForCausalLM(config), "inputs": {"input_ids": _ids()}, "causal": True}


def mamba():  # a state-space model: causal by its scan, not by a mask
    from transformers import MambaConfig, MambaForCausalLM
    config = MambaConfig(vocab_size=100, hidden_size=32, state_size=4, num_hidden_layers=2, expand=2)
    return {"model": MambaForCausalLM(config), "inputs": {"input_ids": _ids()}, "causal": True}


def t5():  # encoder-decoder: decoder_input_ids are the causal inputs
    from transformers import T5Config, T5ForConditionalGeneration
    config = T5Config(vocab_size=100, d_model=32, d_kv=16, d_ff=64, num_layers=2, num_heads=2)
    inputs = {"input_ids": _ids(), "decoder_input_ids": _ids(12)}
    return {"model": T5ForConditionalGeneration(config), "inputs": inputs, "causal": True}


def bart():
    from transformers import BartConfig, BartForConditionalGeneration
    config = BartConfig(vocab_size=100, d_model=32, encoder_layers=1, decoder_layers=1,
                        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
                        decoder_ffn_dim=64, max_position_embeddings=64)
    inputs = {"input_ids": _ids(), "decoder_input_ids": _ids(12)}
    return {"model": BartForConditionalGeneration(config), "inputs": inputs, "causal": True}


def whisper():
    from transformers import WhisperConfig, WhisperForConditionalGeneration
    config = WhisperConfig(vocab_size=100, num_mel_bins=8, d_model=32, encoder_layers=1, decoder_layers=1,
                           encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
                           decoder_ffn_dim=64, max_source_positions=16, max_target_positions=32,
                           decoder_start_token_id=1, pad_token_id=0, bos_token_id=1, eos_token_id=2,
                           suppress_tokens=None, begin_suppress_tokens=None)
    features = torch.randn(4, 8, 32, generator=_gen())
    inputs = {"input_features": features, "decoder_input_ids": _ids(12)}
    return {"model": WhisperForConditionalGeneration(config), "inputs": inputs, "causal": True}


def vit_with_labels():  # integer labels= are no token ids
    from transformers import ViTConfig, ViTForImageClassification
    config = ViTConfig(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=2,
                       num_attention_heads=2, intermediate_size=64, num_labels=5)
    labels = torch.tensor([0, 1, 2, 3])
    return ViTForImageClassification(config), {"pixel_values": _images(), "labels": labels}


def clip():  # logits_per_image is a b x b similarity matrix: pairs of samples by design
    from transformers import CLIPConfig, CLIPModel
    text = dict(vocab_size=100, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                intermediate_size=64, max_position_embeddings=32)
    vision = dict(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                  intermediate_size=64)
    model = CLIPModel(CLIPConfig(text_config=text, vision_config=vision, projection_dim=16))
    return model, {"input_ids": _ids(), "pixel_values": _images()}


def wav2vec2():
    from transformers import Wav2Vec2Config, Wav2Vec2ForCTC
    config = Wav2Vec2Config(vocab_size=20, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                            intermediate_size=64, conv_dim=(16, 16), conv_stride=(5, 2), conv_kernel=(10, 3),
                            num_conv_pos_embeddings=8, num_conv_pos_embedding_groups=2,
                            feat_extract_norm="group")
    return Wav2Vec2ForCTC(config), {"input_values": torch.randn(4, 400, generator=_gen())}


def lightning_demo_transformer():
    from lightning.pytorch.demos import Transformer
    ids = torch.randint(0, 100, (4, 12), generator=_gen())
    model = Transformer(vocab_size=100, ninp=32, nhead=2, nhid=32, nlayers=1)
    return {"model": model, "inputs": (ids[:, :-1], ids[:, 1:]), "causal": True}


def resnet18():
    return _torchvision().models.resnet18(num_classes=10), _images()


def mobilenet_v3_small():
    return _torchvision().models.mobilenet_v3_small(num_classes=10), _images()


def efficientnet_b0():
    return _torchvision().models.efficientnet_b0(num_classes=10), _images()


def regnet_y_400mf():
    return _torchvision().models.regnet_y_400mf(num_classes=10), _images()


def convnext():  # LayerNorm
    from torchvision.models.convnext import CNBlockConfig, ConvNeXt
    _torchvision()
    return ConvNeXt([CNBlockConfig(16, 32, 1), CNBlockConfig(32, None, 1)], num_classes=10), _images()


def vit():  # zero-initialised head
    from torchvision.models.vision_transformer import VisionTransformer
    _torchvision()
    model = VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2, hidden_dim=32,
                              mlp_dim=64, num_classes=10)
    return model, _images()


def swin():
    from torchvision.models.swin_transformer import SwinTransformer
    _torchvision()
    return SwinTransformer([4, 4], 24, [2, 2], [2, 4], [4, 4], num_classes=10), _images()


def maxvit():
    from torchvision.models.maxvit import MaxVit
    _torchvision()
    model = MaxVit(input_size=(32, 32), stem_channels=16, partition_size=4, block_channels=[16, 32],
                   block_layers=[1, 1], head_dim=8, stochastic_depth_prob=0.0, num_classes=10)
    return model, _images()


def deeplabv3():
    segmentation = _torchvision().models.segmentation
    return segmentation.deeplabv3_mobilenet_v3_large(num_classes=3, weights_backbone=None), _images(64)


def fcn():
    segmentation = _torchvision().models.segmentation
    return segmentation.fcn_resnet50(num_classes=3, weights_backbone=None), _images(64)


def retinanet():  # eval mode: one dict of boxes per image, empty at random weights
    detection = _torchvision().models.detection
    model = detection.retinanet_resnet50_fpn(weights=None, weights_backbone=None, num_classes=3, min_size=64,
                                             max_size=64)
    return model, (torch.rand(4, 3, 64, 64, generator=_gen()),)


def fcos():
    detection = _torchvision().models.detection
    model = detection.fcos_resnet50_fpn(weights=None, weights_backbone=None, num_classes=3, min_size=64,
                                        max_size=64)
    return model, (torch.rand(4, 3, 64, 64, generator=_gen()),)


def mnist_cnn():  # pytorch/examples mnist, shrunk
    model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Dropout(0.25), nn.Flatten(), nn.Linear(16 * 12 * 12, 32), nn.ReLU(),
                          nn.Linear(32, 10), nn.LogSoftmax(dim=1))
    return model, torch.randn(4, 1, 28, 28, generator=_gen())


class _WordLM(nn.Module):  # pytorch/examples word_language_model: sequence-first (T, B)
    def __init__(self, kind):
        super().__init__()
        self.encoder, self.decoder, self.kind = nn.Embedding(50, 16), nn.Linear(16, 50), kind
        if kind == "lstm":
            self.body = nn.LSTM(16, 16, 2)
        else:
            self.body = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 32, 0.0), 2,
                                              enable_nested_tensor=False)

    def forward(self, src):
        h = self.encoder(src)
        if self.kind == "lstm":
            h = self.body(h)[0]
        else:
            mask = nn.Transformer.generate_square_subsequent_mask(len(src)) if self.kind == "mask" else None
            h = self.body(h, mask)
        return torch.log_softmax(self.decoder(h), dim=-1)


def _word_lm(kind):
    ids = torch.randint(0, 50, (12, 4), generator=_gen())
    return {"model": _WordLM(kind), "inputs": ids, "causal": True, "batch_dim": 1, "time_dim": 0}


def word_lm_lstm():
    return _word_lm("lstm")


def word_lm_transformer():
    return _word_lm("mask")


def word_lm_transformer_no_mask():  # the bug: no square subsequent mask
    return _word_lm("none")


def dcgan_discriminator():  # BatchNorm: mixes in train mode by design
    model = nn.Sequential(nn.Conv2d(3, 8, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(8, 16, 4, 2, 1),
                          nn.BatchNorm2d(16), nn.LeakyReLU(0.2), nn.Conv2d(16, 1, 8), nn.Sigmoid())
    return model, _images()


def groupnorm_cnn():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.GroupNorm(2, 8), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(8, 3))
    return model, _images()
"""

# (framework, factory, extra flags, expected codes of `nnlint probe`). `--train-mode` on a BatchNorm model
# names BatchNorm's batch statistics as expected mixing, not a finding.
PROBES = [
    ("transformers", "bert", ["--train-mode"], set()),
    ("transformers", "bert_as_causal_lm", [], {"NN902"}),
    ("transformers", "distilbert", [], set()),
    ("transformers", "roberta_mlm", [], set()),
    ("transformers", "gpt2", [], set()),
    ("transformers", "llama", [], set()),
    ("transformers", "mistral", [], set()),
    ("transformers", "qwen2", [], set()),
    ("transformers", "mixtral", [], set()),
    ("transformers", "opt", [], set()),
    ("transformers", "mamba", [], set()),
    ("transformers", "t5", [], set()),
    ("transformers", "bart", [], set()),
    ("transformers", "whisper", [], set()),
    ("transformers", "vit_with_labels", [], set()),
    ("transformers", "clip", [], set()),
    ("transformers", "wav2vec2", [], set()),
    # The demo's encoder reads the whole input sequence with no mask: its "language model" sees the future.
    ("lightning", "lightning_demo_transformer", [], {"NN902"}),
    ("torchvision", "resnet18", ["--train-mode"], set()),
    ("torchvision", "mobilenet_v3_small", [], set()),
    ("torchvision", "efficientnet_b0", [], set()),
    ("torchvision", "regnet_y_400mf", [], set()),
    ("torchvision", "convnext", ["--train-mode"], set()),
    ("torchvision", "vit", [], set()),
    ("torchvision", "swin", [], set()),
    ("torchvision", "maxvit", [], set()),
    ("torchvision", "deeplabv3", [], set()),
    ("torchvision", "fcn", [], set()),
    ("torchvision", "retinanet", [], set()),
    ("torchvision", "fcos", [], set()),
    ("torch", "mnist_cnn", [], set()),
    ("torch", "word_lm_lstm", [], set()),
    ("torch", "word_lm_transformer", [], set()),
    ("torch", "word_lm_transformer_no_mask", [], {"NN902"}),
    ("torch", "dcgan_discriminator", ["--train-mode"], set()),
    ("torch", "groupnorm_cnn", ["--train-mode"], set()),
]
FRAMEWORKS = ("lightning", "transformers", "accelerate", "torchvision", "torch")


def _timed(command: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    return time.perf_counter() - start, done


def _codes(done: subprocess.CompletedProcess[str]) -> set[str] | None:
    try:
        return {finding["code"] for finding in json.loads(done.stdout or "[]")}
    except json.JSONDecodeError:
        return None


def _verdicts(text: str) -> str:
    """The verdict lines of a probe's text report, shortened: what was judged, and how."""
    lines = []
    for line in text.splitlines()[1:]:
        if not line.strip():
            break
        line = re.sub(r"\s+", " ", line.strip())
        if line.startswith("train mode samples mix"):
            line = "train mode: BatchNorm mixes, expected"
        lines.append(line[:90])
    return " | ".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help=f"comma-separated frameworks ({', '.join(FRAMEWORKS)})")
    parser.add_argument("--probes-only", action="store_true", help="skip the training scripts")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each command (the median is shown)")
    args = parser.parse_args()
    wanted = set(args.only.split(",")) if args.only else set(FRAMEWORKS)
    present = {name for name in wanted if importlib.util.find_spec(name) is not None}
    for name in sorted(wanted - present):
        print(f"skipped {name}: not installed (see this script's docstring)")
    nnlint = [sys.executable, "-m", "nnlint"]
    mismatches = 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for framework, name, source, argument, expected in RUNS:
            if framework not in present or args.probes_only:
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
            command = [*nnlint, "probe", *flags, f"models.py:{factory}"]
            seconds, done = _timed(command, work)
            if done.returncode not in (0, 1) or "Traceback" in done.stderr:
                print(f"{factory}: nnlint probe failed\n{done.stderr[-3000:]}")
            codes = set(re.findall(r": (NN9\d\d) ", done.stdout))
            ok = codes == expected and done.returncode == (1 if expected else 0)
            mismatches += not ok
            print(
                f"{'ok      ' if ok else 'MISMATCH'} probe {factory:<28} findings {sorted(codes)} "
                f"(expected {sorted(expected)}); {seconds:.1f} s; {_verdicts(done.stdout)}"
            )
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
