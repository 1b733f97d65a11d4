"""What a dotted name refers to after the imports: `nn.CrossEntropyLoss` is `torch.nn.CrossEntropyLoss`.

Rules match on qualified names, never on spelling, so `import torch.nn as nn`, `from torch import nn`,
`from torch.nn import functional as F` and `from torch.optim import SGD` all work. libcst's scope-based
QualifiedNameProvider does this too, but it costs more than parsing the file; training scripts import at
the top and rarely shadow `torch`, so one table of the file's imports answers the same question for a
fraction of the price. A name bound by an import anywhere in the file counts everywhere in it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import libcst as cst

from nnlint.vocabulary import SELF_RETURNING_METHODS, UNWRAPPING_CALLS, WRAPPER_ATTRIBUTES

_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def words(name: str) -> list[str]:
    """Lower-case words of an identifier or dotted name: `evalDataLoader_2` -> eval, data, loader, 2."""
    return [word.lower() for word in _WORD.findall(name)]


def dotted_name(expr: cst.BaseExpression) -> str | None:
    """`a.b.c` for a chain of Name/Attribute nodes, else None (calls, subscripts, literals).

    A conditional between an object and its wrapper's view of it names that object: `model.module if
    distributed else model` is `model` (DDP's `.module`, `torch.compile`'s `._orig_mod`), also inside a chain,
    `(model.module if ddp else model).eval()`. It hands over, switches or runs one network either way.

    Asked a few hundred thousand times a run: node types are compared by identity, since `isinstance`
    against a libcst class goes through `ABCMeta.__instancecheck__` (neither class has subclasses).
    """
    kind = type(expr)
    if kind is _NAME:
        return expr.value  # type: ignore[attr-defined]
    parts: list[str] = []
    while kind is _ATTRIBUTE:
        parts.append(expr.attr.value)  # type: ignore[attr-defined]
        expr = expr.value  # type: ignore[attr-defined]
        kind = type(expr)
    if kind is _IFEXP:
        unwrapped = _one_object(expr)  # type: ignore[arg-type]
        if unwrapped is None:
            return None
        parts.append(unwrapped)
        return ".".join(reversed(parts))
    if kind is not _NAME:
        return None
    parts.append(expr.value)  # type: ignore[attr-defined]
    return ".".join(reversed(parts))


_NAME, _ATTRIBUTE, _IFEXP = cst.Name, cst.Attribute, cst.IfExp


def _one_object(expr: cst.IfExp) -> str | None:
    """The object both branches of a conditional name, each through wrapper attributes (`model.module`,
    `model._orig_mod`): `model` for `model.module if ddp else model`; None for two different objects."""
    first, second = dotted_name(expr.body), dotted_name(expr.orelse)
    if first is None or second is None:
        return None
    first, second = _unwrapped(first), _unwrapped(second)
    return first if first == second else None


def handed_object(expr: cst.BaseExpression) -> cst.BaseExpression:
    """What an argument hands over: the expression itself, or for a conditional between a named object
    and an element or product of something else (`model if name != "Exp1" else models[0]`, `net if
    args.single else build(k)`), the named branch: on that path it is what the callee receives, so what
    the callee does to it (runs it in the mode it was left in) happens there. A conditional between two
    names is `dotted_name`'s question (one object through its wrapper, or two objects: unnamed)."""
    if type(expr) is not _IFEXP or dotted_name(expr) is not None:
        return expr
    body, orelse = expr.body, expr.orelse  # type: ignore[attr-defined]
    first, second = dotted_name(body), dotted_name(orelse)
    if (first is None) == (second is None):
        return expr
    named, other = (body, orelse) if first is not None else (orelse, body)
    return named if type(other) in (cst.Subscript, cst.Call) else expr


def handed_module(expr: cst.BaseExpression) -> cst.BaseExpression:
    """What an argument hands over as a module: `handed_object`, through `.to(device)`-like methods
    (`moved_module`), which return the module they are called on: `extract_features_(model=model.cuda())`
    hands over `model` itself."""
    return moved_module(handed_object(expr))


def handed_name(expr: cst.BaseExpression) -> str | None:
    """`dotted_name` of what an argument hands over (`handed_object`)."""
    return dotted_name(handed_object(expr))


def _unwrapped(name: str) -> str:
    while name.endswith(WRAPPER_ATTRIBUTES):
        name = name.rsplit(".", 1)[0]
    return name


def keyed_name(expr: cst.BaseExpression) -> str | None:
    """`dotted_name`, also through subscripts by a literal key: `self.model["generator"]` and `nets[0]`
    name one element (written as in the source), so two keys of one dict of models stay two models."""
    if isinstance(expr, cst.Subscript) and len(expr.slice) == 1:
        index = expr.slice[0].slice
        base = keyed_name(expr.value)
        if base and isinstance(index, cst.Index) and isinstance(index.value, (cst.SimpleString, cst.Integer)):
            return f"{base}[{index.value.value}]"
        return None
    return dotted_name(expr)


def unwrapped(expr: cst.BaseExpression) -> cst.BaseExpression:
    """The module a wrapper-unwrapping call gives back (`accelerator.unwrap_model(model)` -> `model`,
    `vocabulary.UNWRAPPING_CALLS`), for the receiver of a method call; any other expression as it is."""
    if type(expr) is not cst.Call or len(expr.args) != 1 or expr.args[0].keyword is not None:
        return expr
    func = expr.func
    name = func.attr.value if type(func) is cst.Attribute else func.value if type(func) is cst.Name else None
    return expr.args[0].value if name in UNWRAPPING_CALLS and not expr.args[0].star else expr


# What a star import binds a name to when it cannot be read (a library's `from m import *`).
UNKNOWN_STAR = "?"


def _module_name(node: cst.BaseExpression) -> str:
    return dotted_name(node) or ""


class ImportTable:
    """Local names bound by imports, mapped to the qualified names they stand for."""

    def __init__(
        self,
        imports: list[cst.Import],
        from_imports: list[cst.ImportFrom],
        star_lookup: Callable[[str], str | None] | None = None,
    ) -> None:
        self.aliases: dict[str, str] = {}
        # What a name no import of this file binds stands for when a `from m import *` brings it (m's own
        # `import torch`): asked lazily, only for such names, only when there are star imports.
        self._star_lookup = star_lookup
        # Modules imported with `from m import *`: unknown bare names may come from them.
        self.star_modules: list[str] = []
        for node in imports:
            for alias in node.names:
                full = _module_name(alias.name)
                if alias.asname is not None:
                    self.aliases[_module_name(alias.asname.name)] = full
                else:
                    # `import torch.nn` binds `torch`, and `torch.nn.X` then resolves through it.
                    head = full.split(".", 1)[0]
                    self.aliases.setdefault(head, head)
        for node in from_imports:
            if node.relative:
                module = "." * len(node.relative) + (_module_name(node.module) if node.module else "")
            else:
                module = _module_name(node.module) if node.module else ""
            if type(node.names) is cst.ImportStar:
                self.star_modules.append(module)
                continue
            for alias in node.names:
                name = _module_name(alias.name)
                local = _module_name(alias.asname.name) if alias.asname is not None else name
                # `from . import m` is `.m` (level 1, module m), not `..m` (which is `from .. import m`).
                separator = "" if module.endswith(".") or not module else "."
                self.aliases[local] = f"{module}{separator}{name}"

    def resolve(self, dotted: str) -> str | None:
        """The qualified name of a dotted name whose head is imported, else None."""
        head, _, rest = dotted.partition(".")
        target = self.aliases.get(head)
        if target is None:
            if not self.star_modules or self._star_lookup is None:
                return None
            target = self._star_lookup(head)
            if target is None or target == UNKNOWN_STAR:
                return None
        return f"{target}.{rest}" if rest else target

    def star_unknown(self, expr: cst.BaseExpression) -> bool:
        """Whether what an expression names may come from a star import that cannot be read (a library's
        `from m import *` before `torch.manual_seed(0)`, with no `import torch`): neither known to be the
        thing a rule looks for nor known not to be."""
        dotted = dotted_name(expr)
        if not dotted or not self.star_modules or self._star_lookup is None:
            return False
        head = dotted.partition(".")[0]
        return head not in self.aliases and self._star_lookup(head) == UNKNOWN_STAR

    def qualified_name(self, expr: cst.BaseExpression) -> str | None:
        dotted = dotted_name(expr)
        return self.resolve(dotted) if dotted else None


def call_argument(call: cst.Call, position: int, keyword: str) -> cst.BaseExpression | None:
    """The argument a call passes for a parameter, by keyword or by position (`StepLR(opt, 30)`)."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
    return positional[position] if len(positional) > position else None


def is_false(expr: cst.BaseExpression | None) -> bool:
    """Whether an expression is the literal `False` (`model.train(False)`, `p.requires_grad = False`)."""
    return type(expr) is cst.Name and expr.value == "False"


def moved_module(value: cst.BaseExpression) -> cst.BaseExpression:
    """The module (or tensor) a value holds through `.to(device)`-like methods, which return their object
    (`vocabulary.SELF_RETURNING_METHODS`): `Net()` of `Net().to(device).cuda()`, `self.dp` of
    `self.dp.to(DEVICE)`; any other value as it is."""
    while (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Attribute)
        and value.func.attr.value in SELF_RETURNING_METHODS
    ):
        value = value.func.value
    return value
