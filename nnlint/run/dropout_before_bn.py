"""NN917 dropout-before-batchnorm: a dropout output reaches a BatchNorm with no weight layer in between.

Dropout changes its input's variance between training and evaluation; a BatchNorm after it learns running
statistics under the training variance and applies them to evaluation inputs with another (Li et al. 2019,
"Understanding the Disharmony between Dropout and Batch Normalization by Variance Shift"). The static rule
reads layer chains it can see in the source; this one follows the tensors through a real forward, so it also
covers models built in loops, from configs, or with functional calls.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.dropout import _DropoutNd
from torch.utils._pytree import tree_flatten

from nnlint.finding import Finding, Severity
from nnlint.run.sites import finding_at
from nnlint.run.trace import call_site
from nnlint.runtime.frames import Site, SiteMap
from nnlint.runtime.recorder import Op
from nnlint.runtime_codes import declared

CODE, NAME = declared("NN917")

_DROPOUT = {F.dropout, F.dropout1d, F.dropout2d, F.dropout3d, F.alpha_dropout, F.feature_alpha_dropout}


@dataclass
class Hit:
    dropout: str
    batchnorm: str
    site: Site | None


class DropoutWatch:
    """Observer for trace.traced_forward: which tensors carry a dropout's output, and does a BN read one."""

    def __init__(self, modules: SiteMap) -> None:
        self.module_sites = modules
        self.hits: list[Hit] = []
        self._tainted: dict[int, str] = {}  # id(tensor) -> the dropout it came from
        self._alive: list[torch.Tensor] = []  # so those ids are not reused during the forward

    def observe(self, op: Op) -> None:
        func, args, kwargs, output, place = op.func, op.args, op.kwargs, op.output, op
        if func in _DROPOUT:
            p = kwargs.get("p", args[1] if len(args) > 1 else 0.5)
            if isinstance(output, torch.Tensor) and p > 0:
                self._taint(output, _describe(place, _DropoutNd, "dropout"))
            return
        if not self._tainted:
            return
        if func is F.batch_norm:
            source = self._tainted.get(id(args[0])) if args else None
            if source is not None:
                site = self.module_sites.get(place.module) if isinstance(place.module, _BatchNorm) else None
                self.hits.append(Hit(source, _describe(place, _BatchNorm, "batch_norm"), site or call_site()))
            return
        inputs, _ = tree_flatten((args, kwargs))
        if any(isinstance(value, nn.Parameter) for value in inputs):
            return  # a weight layer in between: its output's variance is its own
        sources = [self._tainted[id(value)] for value in inputs if id(value) in self._tainted]
        if sources:
            for value in tree_flatten(output)[0]:
                if isinstance(value, torch.Tensor):
                    self._taint(value, sources[0])

    def _taint(self, tensor: torch.Tensor, source: str) -> None:
        self._tainted[id(tensor)] = source
        self._alive.append(tensor)


def _describe(place: Op, layer: type[nn.Module], function: str) -> str:
    """`blocks.2 (Dropout)` for a layer, `F.dropout in blocks.2` for a functional call inside one."""
    if isinstance(place.module, layer):
        return f"{place.path} ({type(place.module).__name__})"
    return f"F.{function} in {place.path or 'the model'}"


def check(hits: list[Hit], fallback: Site) -> list[Finding]:
    """One finding per source line: a block built in a loop is one mistake, however many times it repeats."""
    by_site: dict[Site | None, list[Hit]] = {}
    for hit in hits:
        by_site.setdefault(hit.site, []).append(hit)
    findings = []
    for site, group in by_site.items():
        first = group[0]
        more = f" (and {len(group) - 1} more pair(s) built here)" if len(group) > 1 else ""
        message = (
            f"{first.batchnorm} normalises the output of {first.dropout}{more}: its running statistics will "
            "not match evaluation; put dropout after the BatchNorm"
        )
        evidence = {"pairs": [[hit.dropout, hit.batchnorm] for hit in group]}
        findings.append(finding_at(site, fallback, CODE, NAME, message, Severity.WARNING, evidence=evidence))
    return findings
