"""NN914 dead-or-saturated-units: per layer, the share of units that never fire or never leave saturation.

A ReLU unit whose pre-activation is negative on every sample gets no gradient and never recovers (CS231n:
"dead" units, often from a large negative bias or a learning rate that knocked them out). A tanh or sigmoid
unit pinned at its extremes passes almost no gradient either. Measured on the first batch at initialisation,
both mean the model starts with part of its capacity switched off.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from nnlint.finding import Finding, Severity
from nnlint.run.sites import finding_at
from nnlint.run.thresholds import Thresholds
from nnlint.run.trace import call_site
from nnlint.runtime.frames import Site, SiteMap, innermost_function
from nnlint.runtime.recorder import Op
from nnlint.runtime_codes import declared
from nnlint.vocabulary import GATED_ACTIVATION_NAMES

CODE, NAME = declared("NN914")

_RELU = {F.relu, torch.relu, torch.Tensor.relu, torch.relu_, torch.Tensor.relu_}
_TANH = {F.tanh, torch.tanh, torch.Tensor.tanh, torch.tanh_, torch.Tensor.tanh_}
_SIGMOID = {F.sigmoid, torch.sigmoid, torch.Tensor.sigmoid, torch.sigmoid_, torch.Tensor.sigmoid_}
_CONV1D = {F.conv1d, torch.conv1d}
_ACTIVATION_MODULES = (nn.ReLU, nn.Tanh, nn.Sigmoid)
# Past these, tanh and sigmoid pass less than 2% of the gradient (1 - 0.99^2; 0.99 * 0.01).
_TANH_SATURATED, _SIGMOID_SATURATED = 0.99, 0.01


@dataclass
class LayerStats:
    """One activation call of the traced forward."""

    name: str
    kind: str  # relu, tanh, sigmoid
    units: int
    observations: int  # values per unit: samples times positions
    share: float  # dead (ReLU) or saturated (tanh, sigmoid) units
    site: Site | None
    fed_by: str | None


class UnitWatch:
    """Observer for trace.traced_forward: activation statistics per call."""

    def __init__(self, modules: SiteMap) -> None:
        self.module_sites = modules
        self.layers: list[LayerStats] = []
        self._conv1d_shapes: set[tuple[int, ...]] = set()
        self._calls: dict[str, int] = {}

    def observe(self, op: Op) -> None:
        func, args, output, place = op.func, op.args, op.output, op
        if func in _CONV1D and isinstance(output, torch.Tensor):
            self._conv1d_shapes.add(tuple(output.shape))
            return
        kind = (
            "relu" if func in _RELU else "tanh" if func in _TANH else "sigmoid" if func in _SIGMOID else None
        )
        if kind is None or not isinstance(output, torch.Tensor) or output.ndim < 2:
            return
        if kind != "relu" and _inside_gated_activation(place.module):
            return
        # Units are channels for conv feature maps (N, C, ...), else the last (feature) dim.
        channels_first = output.ndim >= 4 or (output.ndim == 3 and tuple(output.shape) in self._conv1d_shapes)
        values = (
            output.detach()
            .float()
            .movedim(1 if channels_first else -1, -1)
            .reshape(-1, output.shape[1 if channels_first else -1])
        )
        if kind == "relu":
            stuck = (values <= 0).all(dim=0)
        elif kind == "tanh":
            stuck = (values.abs() > _TANH_SATURATED).all(dim=0)
        else:
            stuck = ((values < _SIGMOID_SATURATED) | (values > 1 - _SIGMOID_SATURATED)).all(dim=0)
        own = isinstance(place.module, _ACTIVATION_MODULES)
        if own:
            name = f"{place.path} ({type(place.module).__name__})"
        else:
            name = f"{getattr(func, '__name__', kind)} in {place.path or 'the model'}"
        count = self._calls[name] = self._calls.get(name, 0) + 1
        site = self.module_sites.get(place.module) if own else None
        self.layers.append(
            LayerStats(
                name=name if count == 1 else f"{name} (call {count})",
                kind=kind,
                units=values.shape[1],
                observations=values.shape[0],
                share=float(stuck.float().mean()),
                site=site or call_site(),
                fed_by=place.produced_by(args[0] if args else None),
            )
        )


def _inside_gated_activation(module: nn.Module) -> bool:
    """The tanh or sigmoid is part of a gating activation (GELU's tanh approximation, SiLU, Mish) that the
    running parameter-free module or the calling function computes: not a unit of its own."""
    if isinstance(module, _ACTIVATION_MODULES):
        return False
    names = [innermost_function(sys._getframe(2)) or ""]
    if next(module.parameters(recurse=False), None) is None:
        names.append(type(module).__name__)
    return any(gate in name.lower() for name in names for gate in GATED_ACTIVATION_NAMES)


def check(layers: list[LayerStats], thresholds: Thresholds, fallback: Site) -> list[Finding]:
    findings = []
    for layer in layers:
        limit = thresholds.dead_share if layer.kind == "relu" else thresholds.saturated_share
        if layer.observations < thresholds.min_observations or layer.share < limit:
            continue
        state = "never fire" if layer.kind == "relu" else "stay saturated"
        after = f" after {layer.fed_by}" if layer.fed_by else ""
        cause = (
            "a large negative bias or weight scale in the layer before"
            if layer.kind == "relu"
            else "pre-activations too large: scale down the layer before or normalise its input"
        )
        message = (
            f"{layer.share:.0%} of the {layer.units} {layer.kind} units of {layer.name}{after} {state} "
            f"on the first batch ({layer.observations} values each): {cause}"
        )
        evidence = {"layer": layer.name, "share": round(layer.share, 3), "units": layer.units}
        findings.append(
            finding_at(layer.site, fallback, CODE, NAME, message, Severity.WARNING, evidence=evidence)
        )
    return findings
