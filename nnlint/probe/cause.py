"""Where a leak is caused, as opposed to where it first shows: the line to fix.

Localization finds the first operation whose output changes where it must not. For some leaks that op is
only the symptom and the mistake sits elsewhere in the user's code:

- a torch layer whose construction makes it non-causal, run by a correct call: a bidirectional RNN, a
  convolution padded on both sides. The cause is the line that built it (`self.rnn = nn.GRU(...,
  bidirectional=True)`), found in the source of the user's class that owns it.
- a constant attention mask whose triangle is off: a mask buffer of the module where the leak shows that lets
  step t see more than the allowed steps ahead. The cause is the line that built the buffer. (A mask the
  forward computes is found from the eager steps, in localize.py, with `mask_lookahead` below.)

The symptom stays as the finding's related location (its first-seen line). Nothing here runs the model.
"""

from __future__ import annotations

import ast
import inspect
import os
import textwrap
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn.modules.conv import _ConvNd

from nnlint.runtime.frames import Frame, SiteMap, is_library

# Layers whose construction alone decides whether they see the future.
_STRUCTURAL = (nn.RNNBase, _ConvNd)


@dataclass(frozen=True)
class Cause:
    frame: Frame
    why: str


def causal_cause(
    model: nn.Module, module_path: str | None, steps: int, shift: int, buffer_sites: SiteMap | None = None
) -> Cause | None:
    """The construction line that makes the module at `module_path` (or a mask it holds) see the future.

    A mask buffer is blamed where it was set, when that was seen (`buffer_sites`, from
    frames.wrap_register_buffer): a script that replaces a model's mask after building it made the mistake on
    its own line, not in the class that registered a correct one."""
    if module_path is None:
        return None
    try:
        module = model.get_submodule(module_path)
    except AttributeError:
        return None
    if isinstance(module, _STRUCTURAL) and _structurally_acausal(module):
        frame = _assignment(model, module_path)
        if frame is not None:
            return Cause(frame, f"`{module_path}` ({_describe(module)}) is built to read later steps")
    for name, buffer in module.named_buffers(recurse=False):
        lookahead = mask_lookahead(buffer, steps)
        if lookahead is not None and lookahead > shift:
            recorded = (buffer_sites.get(module) or {}).get(name) if buffer_sites is not None else None
            frame = (recorded.filename, recorded.line) if recorded is not None else None
            frame = frame or _assignment(model, f"{module_path}.{name}" if module_path else name)
            if frame is not None:
                return Cause(frame, f"the mask `{name}` lets step t see {lookahead} step(s) ahead")
    return None


def _structurally_acausal(module: nn.Module) -> bool:
    if isinstance(module, nn.RNNBase):
        return bool(module.bidirectional)
    if isinstance(module, _ConvNd):
        padding = module.padding
        return module.padding_mode != "zeros" or padding == "same" or any(int(p) > 0 for p in padding)
    return False


def _describe(module: nn.Module) -> str:
    if isinstance(module, nn.RNNBase):
        return f"{type(module).__name__} with bidirectional=True"
    return f"{type(module).__name__} with padding={module.padding!r} on both sides"


def mask_lookahead(buffer: torch.Tensor, steps: int) -> int | None:
    """How many steps ahead a square causal-style mask lets a step see, in either polarity (True = blocked,
    as `triu` builds it for `masked_fill`; or True = allowed, as `tril` builds it), or None if it is none."""
    if buffer.dim() < 2 or buffer.shape[-1] != buffer.shape[-2] or buffer.shape[-1] < steps:
        return None
    square = buffer.reshape(-1, *buffer.shape[-2:])[0, :steps, :steps]
    if square.dtype != torch.bool:
        if not bool(((square == 0) | (square == 1)).all()):
            return None
        square = square.bool()
    if bool(square.all()) or not bool(square.any()):
        return None  # a constant tensor (all ones, all zeros) is no triangle: not a mask we can judge
    for diagonal in range(-1, steps):
        ones = torch.ones(steps, steps, dtype=torch.bool, device=square.device)
        if torch.equal(square, torch.triu(ones, diagonal=diagonal + 1)):
            return diagonal  # blocked from t + diagonal + 1 on
        if torch.equal(square, torch.tril(ones, diagonal=diagonal)):
            return diagonal  # allowed up to t + diagonal
    return None


def _assignment(model: nn.Module, path: str) -> Frame | None:
    """The line in the user's code that assigns the attribute at `path` (`self.rnn = ...`,
    `self.register_buffer("mask", ...)`), looked up in the nearest user-defined owner's class source."""
    parts = path.split(".")
    for cut in range(len(parts) - 1, -1, -1):
        owner = model.get_submodule(".".join(parts[:cut]))
        attribute = parts[cut]
        for cls in type(owner).__mro__:
            if cls in (nn.Module, object) or not _user_class(cls):
                continue
            found = _assigned_in(cls, attribute)
            if found is not None:
                return found
    return None


def _user_class(cls: type) -> bool:
    try:
        filename = inspect.getsourcefile(cls)
    except TypeError:
        return False
    return filename is not None and not is_library(filename)


def _assigned_in(cls: type, attribute: str) -> Frame | None:
    try:
        lines, start = inspect.getsourcelines(cls)
        filename = os.path.abspath(inspect.getsourcefile(cls) or "")
    except (OSError, TypeError):
        return None
    try:
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(_is_self_attribute(target, attribute) for target in targets):
                return filename, start + node.lineno - 1
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("register_buffer", "register_module", "add_module")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == attribute
        ):
            return filename, start + node.lineno - 1
    return None


def _is_self_attribute(target: ast.AST, attribute: str) -> bool:
    return (
        isinstance(target, ast.Attribute)
        and target.attr == attribute
        and isinstance(target.value, ast.Name)
        and target.value.id == "self"
    )
