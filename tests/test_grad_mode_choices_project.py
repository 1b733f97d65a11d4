"""Grad-mode choices NN503 could not see (nnlint.engine.grad_mode), from session 15's sweep of unseen
projects: a project base class in another module that calls a subclass's evaluation method under
`torch.no_grad()` (sr-gan's `Experiment.train` running `self.validation_summaries(step)`), and a
`with torch.no_grad():` inside the loop, around the forward, where `torch` is bound only by star imports
(EquiBind's inference.py, whose library star import makes `torch` unknown), and inputs made with
`requires_grad=True` (invertible-resnet's exact-trace analysis)."""

from __future__ import annotations

from pathlib import Path

import pytest
from project_tree import checked_findings, write_tree

_BASE = """import torch


class Experiment:
    def __init__(self, net, loader, valid):
        self.net = net
        self.loader = loader
        self.valid = valid
        self.optimizer = torch.optim.SGD(net.parameters(), 0.1)

    def train(self):
        for step, (x, y) in enumerate(self.loader):
            self.optimizer.zero_grad()
            torch.nn.functional.mse_loss(self.net(x), y).backward()
            self.optimizer.step()
            if step % 100 == 0:
                self.net.eval()
{call}
                self.net.train()

    def validation_summaries(self, step):
        raise NotImplementedError
"""

_MIDDLE = """from experiment import Experiment


class GanExperiment(Experiment):
    pass
"""

_SUBCLASS = """import torch
from torch.utils.data import DataLoader

from {base} import {cls}


class AgeExperiment({cls}):
    def validation_summaries(self, step):
        self.evaluation_epoch(self.net, self.valid)

    def evaluation_epoch(self, network, dataset):
        errors = []
        for images, labels in DataLoader(dataset, batch_size=8):
            errors.append((network(images) - labels).abs().mean().item())
        return sum(errors) / len(errors)
"""


@pytest.mark.parametrize(
    ("call", "base", "cls", "rows"),
    [
        (
            "                with torch.no_grad():\n                    self.validation_summaries(step)",
            "experiment",
            "Experiment",
            [],
        ),
        # two generations up: the base of the base class makes the call
        (
            "                with torch.no_grad():\n                    self.validation_summaries(step)",
            "middle",
            "GanExperiment",
            [],
        ),
        # near-miss: the base class calls it with recording on
        ("                self.validation_summaries(step)", "experiment", "Experiment", [13]),
        # near-miss: `no_grad` around a call of another object's method of that name, not `self`'s
        (
            "                with torch.no_grad():\n                    self.net.validation_summaries(step)",
            "experiment",
            "Experiment",
            [13],
        ),
    ],
)
def test_a_method_the_base_class_calls_under_no_grad_runs_without_recording(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str, base: str, cls: str, rows: list[int]
) -> None:
    """sr-gan (golmschenk/sr-gan at 35b8075910: age/, crowd/ and driving/srgan.py): each experiment
    subclass defines `validation_summaries`, whose `evaluation_epoch` loops over a data set; the base
    class's training loop in srgan.py calls it as `self.validation_summaries(step)` inside `with
    torch.no_grad():`. The subclass's module never calls the method, so the grad mode is chosen in the base
    class's. The same in ParlAI (facebookresearch/ParlAI at a29567f7ce): `TorchAgent.batch_act` in
    parlai/core/torch_agent.py runs `self.eval_step(batch)` under `no_grad`, and torch_generator_agent.py's
    `eval_step` ranks the label candidates in a loop (`rank_eval_label_candidates`, line 889, reported
    before)."""
    monkeypatch.chdir(tmp_path)
    files = {
        "experiment.py": _BASE.format(call=call),
        "middle.py": _MIDDLE,
        "age.py": _SUBCLASS.format(base=base, cls=cls),
    }
    write_tree(tmp_path, files, project_marker=True)
    found = checked_findings([tmp_path / "age.py"], {"NN503"})
    assert [f.location.row for f in found if f.filename.endswith("age.py")] == rows


_INFERENCE = """{imports}


def inference(model, loader, phase="test"):
    model.eval()
    outputs = []
    for x in loader:
{body}
    return outputs
"""


@pytest.mark.parametrize(
    ("imports", "body", "rows"),
    [
        # `torch` may come from any of the star imports: the `with` is a grad-mode choice
        (
            "from models import *\nfrom torchvision.models import *",
            "        with torch.no_grad():\n            outputs.append(model(x))",
            [],
        ),
        ("import torch", "        with torch.no_grad():\n            outputs.append(model(x))", []),
        # the run decides (`phase`), or the author turns recording on on purpose: chosen, not forgotten
        (
            "import torch",
            "        with torch.set_grad_enabled(phase == 'train'):\n            outputs.append(model(x))",
            [],
        ),
        ("import torch", "        with torch.enable_grad():\n            outputs.append(model(x))", []),
        # near-misses: no `with` around the forward; a `with` of something else
        ("from models import *\nfrom torchvision.models import *", "        outputs.append(model(x))", [8]),
        ("import torch", "        with open('log.txt') as log:\n            outputs.append(model(x))", [7]),
    ],
)
def test_a_no_grad_block_in_the_loop_named_through_star_imports_is_a_choice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, imports: str, body: str, rows: list[int]
) -> None:
    """EquiBind's inference.py (HannesStark/EquiBind at 4cb1b4c562) gets `torch` only from star imports,
    the last of them a library's (`from torch.optim.lr_scheduler import *`), so what `torch` names is
    unknown; its loop over complexes runs the model inside `with torch.no_grad():`. A setter spelled so
    around the forward, inside the loop, is the author's choice, as it already was around the loop; so is
    `with torch.set_grad_enabled(phase == 'train'):` there (the run decides), which was reported before."""
    monkeypatch.chdir(tmp_path)
    files = {
        "models.py": "import torch\nfrom torch import nn\n\n\nclass Net(nn.Module):\n    pass\n",
        "infer.py": _INFERENCE.format(imports=imports, body=body),
    }
    write_tree(tmp_path, files, project_marker=True)
    found = checked_findings([tmp_path / "infer.py"], {"NN503"})
    assert [f.location.row for f in found] == rows


_TRACE = """import torch
from torch.autograd import Variable


def analyse_trace_estimation(model, test_loader):
    model.eval()
    traces = []
    for inputs, targets in test_loader:
        inputs = {make}
        out, trace = model(inputs, exact_trace=True)
        traces.append(trace.detach())
    return traces
"""


@pytest.mark.parametrize(
    ("make", "rows"),
    [
        ("Variable(inputs, requires_grad=True)", []),
        ("torch.tensor(inputs, requires_grad=True)", []),
        # near-misses: gradients explicitly not asked for, or not mentioned
        ("Variable(inputs, requires_grad=False)", [8]),
        ("Variable(inputs)", [8]),
    ],
)
def test_an_input_made_with_requires_grad_asks_for_gradients(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: str, rows: list[int]
) -> None:
    """invertible-resnet's CIFAR_main.py (jhjacobsen/invertible-resnet at 630e886bcd): the exact-trace
    analysis makes its inputs with `Variable(inputs, requires_grad=True)`, since the model differentiates its
    output with respect to them; recording is wanted, as for `inputs.requires_grad = True`."""
    monkeypatch.chdir(tmp_path)
    write_tree(tmp_path, {"analysis.py": _TRACE.format(make=make)}, project_marker=True)
    found = checked_findings([tmp_path / "analysis.py"], {"NN503"})
    assert [f.location.row for f in found] == rows
