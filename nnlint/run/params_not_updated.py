"""NN916 parameters-not-updated: weights that ask for gradients but never change.

Two ways to get there, both silent: a parameter that requires grad but is in no optimizer (a layer left out of
`optimizer = SGD(model.head.parameters())`, a module added after the optimizer was built), and a parameter
the optimizer holds whose gradient is None or zero after the backward (a `.detach()` or `torch.no_grad()` cut
the graph, a layer the forward never uses, a branch multiplied by zero).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import nn

from nnlint.finding import Finding, Severity
from nnlint.run.sites import finding_at
from nnlint.runtime.frames import Site, SiteMap
from nnlint.runtime_codes import declared

CODE, NAME = declared("NN916")
# A message names this many parameters, then counts the rest.
SHOWN = 4


@dataclass(frozen=True)
class Owner:
    """Which model and layer a parameter belongs to, for messages and locations."""

    name: str  # e.g. "Net.fc1.weight"
    module: nn.Module


def owners(models: Iterable[nn.Module]) -> dict[int, Owner]:
    """id(parameter) -> its qualified name and the layer that holds it, over all captured models."""
    found: dict[int, Owner] = {}
    for model in models:
        prefix = type(model).__name__
        for module_name, module in model.named_modules():
            for param_name, param in module.named_parameters(recurse=False):
                name = ".".join(part for part in (prefix, module_name, param_name) if part)
                found.setdefault(id(param), Owner(name, module))
    return found


def _names(params: list[torch.Tensor], named: dict[int, Owner]) -> str:
    names = [named[id(p)].name if id(p) in named else f"a {tuple(p.shape)} tensor" for p in params]
    extra = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + extra


def check_gradients(
    optimizer: torch.optim.Optimizer,
    named: dict[int, Owner],
    sites: SiteMap,
    fallback: Site,
    optimizer_site: Site | None = None,
) -> list[Finding]:
    """At the optimizer's first step: its trainable parameters whose gradient is None or all zero (warnings),
    and the frozen ones it still holds (info)."""
    missing, zero, frozen = [], [], []
    for group in optimizer.param_groups:
        for param in group["params"]:
            if not param.requires_grad:
                frozen.append(param)
                continue
            if param.grad is None:
                missing.append(param)
            elif not param.grad.is_sparse and not bool(param.grad.any()):
                zero.append(param)
    findings = []
    for params, what, cause in (
        (missing, "got no gradient", "the forward never used them or a detach()/no_grad() cut them off"),
        (
            zero,
            "got an all-zero gradient",
            "something upstream multiplies them by zero or blocks the gradient",
        ),
    ):
        if not params:
            continue
        owner = named.get(id(params[0]))
        site = sites.get(owner.module) if owner else None
        message = f"{_names(params, named)} {what} from the first backward: {cause}"
        evidence = {"parameters": [named[id(p)].name for p in params if id(p) in named], "reason": what}
        findings.append(finding_at(site, fallback, CODE, NAME, message, Severity.WARNING, evidence=evidence))
    if frozen:
        message = (
            f"{_names(frozen, named)} are frozen (requires_grad=False) but still held by the optimizer: they "
            "never change, which is fine if intended; leave them out of the optimizer to make that "
            "explicit and save its state"
        )
        evidence = {"parameters": [named[id(p)].name for p in frozen if id(p) in named], "reason": "frozen"}
        findings.append(
            finding_at(optimizer_site, fallback, CODE, NAME, message, Severity.INFO, evidence=evidence)
        )
    return findings


def check_orphans(
    models: list[nn.Module],
    optimizers: list[torch.optim.Optimizer],
    named: dict[int, Owner],
    sites: SiteMap,
    fallback: Site,
) -> list[Finding]:
    """Trainable parameters of the captured models that no optimizer holds.

    A model partly covered by an optimizer is a bug at that optimizer's line (a layer left out); a model no
    optimizer touches at all only wastes gradient memory (a frozen teacher that forgot requires_grad_(False)).
    """
    held = set().union(*(held_by(opt) for opt in optimizers))
    findings = []
    for model in models:
        params = list(model.parameters())
        left_out = [p for p in params if p.requires_grad and id(p) not in held]
        if not left_out:
            continue
        covering = [opt for opt in optimizers if any(id(p) in held_by(opt) for p in params)]
        if covering:
            site = sites.get(covering[0])
            message = (
                f"{_names(left_out, named)} require grad but are in no optimizer, so they never change: "
                "pass them to the optimizer, or freeze them with requires_grad_(False)"
            )
            severity = Severity.WARNING
        else:
            site = sites.get(model)
            message = (
                f"{type(model).__name__} computes gradients for its {len(left_out)} parameter tensors but no "
                "optimizer holds them: freeze it with requires_grad_(False) if it is not meant to train"
            )
            severity = Severity.INFO
        evidence = {"parameters": [named[id(p)].name for p in left_out if id(p) in named]}
        findings.append(finding_at(site, fallback, CODE, NAME, message, severity, evidence=evidence))
    return findings


def held_by(optimizer: torch.optim.Optimizer) -> set[int]:
    return {id(p) for group in optimizer.param_groups for p in group["params"]}
