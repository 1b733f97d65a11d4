"""False findings of the session-16 precision sweep (57 unseen projects), fixed at their cause: what a helper
returns holds no graph when it is computed under `no_grad` or is a new tensor made from numbers (NN501), a
list rebound empty at the top of each iteration spans one iteration (NN501), and an embedding of each
scalar of a flattened tensor reshaped back to that tensor's dims mixes no samples (NN102)."""

from __future__ import annotations

import libcst as cst

from nnlint.engine.context import FileContext
from nnlint.engine.roles import Role
from nnlint.runner import check_source
from rules.batch_flatten import BatchFlatten
from rules.eval_without_no_grad import EvalWithoutNoGrad
from rules.loss_accumulated_as_tensor import LossAccumulatedAsTensor


def _context(source: str, path: str = "trainer.py") -> FileContext:
    return FileContext(path, source, cst.parse_module(source))


def _function(ctx: FileContext, name: str) -> cst.FunctionDef:
    return next(f for f in ctx.index.nodes(cst.FunctionDef) if f.name.value == name)


def _rows(source: str, rule: type) -> list[int]:
    return [f.location.row for f in check_source("trainer.py", source, [rule]).findings]


_HELPERS = """
import numpy as np
import torch
import torch.distributed as dist


class Trainer:
    def validation_step(self, batch):
        with torch.no_grad():
            loss = self.model(batch).mean()
        return loss

    def evaluate(self, data):
        losses = []
        with torch.no_grad():
            for batch in data:
                losses.append(self.model(batch).mean().item())
        loss = torch.tensor(np.sum(losses)).to(self.device)
        loss = loss / dist.get_world_size()
        return loss

    def recorded(self, data):
        loss = torch.stack([self.model(batch).mean() for batch in data]).mean()
        loss = loss / dist.get_world_size()
        return loss

    def train(self, loader, val_loader, epochs):
        kept = []
        for epoch in range(epochs):
            dev_loss = self.{helper}(val_loader)
            for batch in loader:
                loss = self.model(batch).mean()
                loss.backward()
                self.optimizer.step()
            kept.append(dev_loss)
"""


def test_a_helper_loss_computed_under_no_grad_or_made_from_numbers_is_no_loss() -> None:
    ctx = _context(_HELPERS.format(helper="evaluate"))
    assert ctx.summaries.of(_function(ctx, "validation_step")).returns is None
    assert ctx.summaries.of(_function(ctx, "evaluate")).returns is None
    assert ctx.summaries.of(_function(ctx, "recorded")).returns is Role.LOSS


def test_keeping_what_such_a_helper_returns_is_no_finding() -> None:
    assert _rows(_HELPERS.format(helper="evaluate"), LossAccumulatedAsTensor) == []
    assert _rows(_HELPERS.format(helper="validation_step"), LossAccumulatedAsTensor) == []
    # The near miss: the loss the helper scales was computed with recording on.
    assert _rows(_HELPERS.format(helper="recorded"), LossAccumulatedAsTensor) == [35]


_PERTURB = """
import torch


def perturb(model, classifier, x, label, iterations):
    {outer}
    for i in range(iterations):
        probs = model(x).softmax(-1)
        loss = 0.0
        {inner}
        part = torch.nn.functional.cross_entropy(classifier(probs), label)
        loss += part
        loss_list.append(part)
        loss.backward()
"""


def test_a_list_started_empty_in_each_iteration_keeps_no_graph_across_them() -> None:
    assert _rows(_PERTURB.format(outer="pass", inner="loss_list = []"), LossAccumulatedAsTensor) == []
    # Started once before the loop, it keeps every iteration's part.
    assert _rows(_PERTURB.format(outer="loss_list = []", inner="pass"), LossAccumulatedAsTensor) == [13]


_EMBED = """
import torch.nn as nn
class Conditioner(nn.Module):
    def forward(self, x, threshold, timestep):
        B, T, H = x.shape
        num_edges = x.shape[0]
        y = {expr}
        return self.out(x + y)
"""


def test_an_embedding_of_every_scalar_reshaped_back_to_the_batch_mixes_no_samples() -> None:
    for expr in (
        "self.fourier(threshold.flatten()).reshape(threshold.shape + (-1,))",  # boltz
        "self.t_embedder(timestep.float().flatten()).reshape(B, T, -1)",  # LongCat (DiffSynth)
        "self.rbf(x[..., 0].reshape(-1)).reshape(num_edges, 3, -1)",  # ComFormer (divelab/AIRS)
        "self.condition_proj(timestep.flatten()).view(timestep.size(0), -1)",  # diffusers' GLM-Image
    ):
        assert _rows(_EMBED.format(expr=expr), BatchFlatten) == [], expr


def test_reshaped_to_sizes_that_are_no_batch_size_is_still_a_finding() -> None:
    for expr in (
        "self.t_embedder(timestep.flatten()).reshape(4, -1)",
        "self.fourier(threshold.flatten()).reshape(timestep.shape + (-1,))",  # another tensor's dims
        "self.t_embedder(timestep.flatten()).reshape(T, B, -1)",
    ):
        assert _rows(_EMBED.format(expr=expr), BatchFlatten) == [7], expr


_EPOCH = """
class Trainer:
    def train(self, data_loader):
        {before}
        for i, data_batch in enumerate(data_loader):
            self.outputs = self.model(data_batch)
            self.call_hook("after_train_iter")
        {after}
"""


def test_a_loop_after_a_switch_to_training_is_no_evaluation() -> None:
    # Det3D's and CenterPoint's runner: backward and step run in an optimizer hook.
    assert _rows(_EPOCH.format(before="self.model.train()", after="pass"), EvalWithoutNoGrad) == []
    assert (
        _rows(_EPOCH.format(before="self.model.train(mode=not self.frozen)", after="pass"), EvalWithoutNoGrad)
        == []
    )


_EMBED_ALL = """
import torch


def extract_features(model, loader):
    {before}
    features = []
    for images, _ in loader:
        features.append(model(images).cpu())
    {after}
    return torch.cat(features)
"""


def test_a_switch_to_eval_last_or_a_train_after_the_loop_keeps_the_evaluation() -> None:
    for before, after in (("model.train(); model.eval()", "pass"), ("model.eval()", "model.train()")):
        assert _rows(_EMBED_ALL.format(before=before, after=after), EvalWithoutNoGrad) == [8], (before, after)
