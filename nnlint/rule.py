"""What a rule is: one class in one module of `nnlint.rules`, holding everything about the rule.

A rule has a stable code and kebab-case name, a severity, a one-sentence message, a one-line hint, docs in
its class docstring (sections *What it does*, *Why is this bad?*, *Example*, *Use instead*, *References*),
examples that must trigger (`INVALID`) and near-misses that must not (`VALID`), and visitor methods.

Visitor methods are named `visit_<NodeType>` (e.g. `visit_Call`) and are called once per node of that type,
in source order, from the engine's single index walk — a rule never walks the tree itself. Anything more
than a local pattern is a question to `self.ctx` (names, roles, loops, layers, shapes, entry points).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, ClassVar

import libcst as cst

from nnlint.engine.context import FileContext
from nnlint.finding import Severity

if TYPE_CHECKING:
    from nnlint.engine.loops import Loop


# A sentence ends at `.`, `!` or `?` followed by a space and what starts a sentence, outside `code` spans;
# "e.g." and the like end none.
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bvs)(?<!\bcf)[.!?](?=\s+[A-Z(`*_\"'])")


def first_sentence(text: str) -> str:
    """The first sentence of a paragraph of docs (the whole paragraph when it holds one)."""
    spans = text.split("`")
    for index in range(0, len(spans), 2):  # even items are outside backticks
        end = _SENTENCE_END.search(spans[index])
        if end:
            return "`".join(spans[:index] + [spans[index][: end.end()]])
    return text


# Code families, by the first digit after `NN`. The performance family is opt-in (`Rule.opt_in`).
FAMILIES = {
    "0": "nnlint",
    "1": "shapes and layout",
    "2": "optimization loop",
    "3": "reproducibility",
    "4": "architecture and loss",
    "5": "evaluation",
    "6": "data and distributed",
    "7": "performance (opt-in)",
    "9": "runtime",
}


@dataclass(frozen=True)
class Invalid:
    """An example that must trigger the rule; `line` pins the 1-based line of the finding."""

    source: str
    line: int | None = None
    # The source after applying the rule's fixes (unsafe ones included), when the rule offers one.
    fixed: str | None = None


@dataclass(frozen=True)
class RuleFix:
    """A fix as a rule describes it: replace each node by a new node or by source text.

    The engine turns the nodes into positions, so a rule never computes line numbers. A replacement node's
    own parentheses are dropped: the replaced range is the old node's syntactic range, which excludes its
    parentheses too.
    """

    message: str
    replacements: tuple[tuple[cst.CSTNode, cst.CSTNode | str], ...]
    safe: bool = True


@dataclass(frozen=True)
class Evidence:
    """A related location as a rule describes it: a node, in the checked file or (with `ctx`) in another
    project module the engine read, and a short message. The engine turns it into a `Related`."""

    node: cst.CSTNode
    message: str
    ctx: FileContext | None = None


@dataclass
class Report:
    """What a rule reported, before the engine turns it into a Finding with positions.

    `ctx` is set when the line to change lies in another project module than the checked file (a softmax
    in models.py that train.py's loss consumes): the finding is then reported in that file.
    """

    node: cst.CSTNode
    message: str
    fix: RuleFix | None = None
    related: tuple[Evidence, ...] = ()
    ctx: FileContext | None = None


# Rule.visitors per rule class: the runner asks for every file, and `dir` of a class is not cheap.
_VISITORS: dict[type, dict[type, str]] = {}


class Rule:
    """Base class of every rule. Subclasses set the class attributes and define `visit_*` methods."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity] = Severity.WARNING
    message: ClassVar[str]
    hint: ClassVar[str] = ""
    # Skip files that never mention torch (most rules only make sense in PyTorch code).
    needs_torch: ClassVar[bool] = True
    # Rules that can settle with the runtime probe (NN101, NN102, NN601).
    probe_settles: ClassVar[bool] = False
    # Rules that may report in another file than the one checked (through the project's modules). Their
    # noqa comments in a file are not judged unused by that file's own check: another file's may use them.
    cross_file: ClassVar[bool] = False
    # Opt-in rules (the NN7 performance family) run only when a selector names their family, the rule's
    # code or its name: not by default, and not through `ALL` or `NN` (see `nnlint.config`).
    opt_in: ClassVar[bool] = False
    VALID: ClassVar[list[str]] = []
    INVALID: ClassVar[list[str | Invalid]] = []

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.reports: list[Report] = []

    def report(
        self,
        node: cst.CSTNode,
        message: str | None = None,
        fix: RuleFix | None = None,
        related: tuple[Evidence, ...] = (),
        ctx: FileContext | None = None,
    ) -> None:
        """Report a finding at `node`, with a fix when one can be offered and the evidence found elsewhere.

        `ctx` names the file `node` belongs to when it is not the checked one (see `Report`); a fix is then
        dropped, as fixes edit the checked file only.
        """
        if ctx is self.ctx:
            ctx = None
        self.reports.append(
            Report(
                node=node,
                message=message or self.message,
                fix=fix if ctx is None else None,
                related=related,
                ctx=ctx,
            )
        )

    def finish(self) -> None:
        """Called after every node was visited, for rules that decide once they have seen the file."""

    # -- docs ------------------------------------------------------------------------------------

    @classmethod
    def docs(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        """The one line that `nnlint rules`, the table of docs/rules.md and SARIF's shortDescription show:
        the headline of the rule's module docstring (`NN501 loss-accumulated-as-tensor: a running total of
        losses keeps every iteration's autograd graph.`), where every rule module states it in a hundred
        characters. The docs' first sentence is the fallback; it can run to a paragraph, as it lists the
        spellings a rule knows."""
        module = inspect.getmodule(cls)
        headline = (inspect.getdoc(module) or "").split("\n", 1)[0] if module else ""
        prefix = re.match(rf"{cls.code} [\w-]+(?: \(opt-in\))?: (.+)", headline)
        if prefix:
            text = re.sub(r" \([^()]*\)\.$", ".", prefix.group(1))  # "(reported by the engine, ...)"
            return text[:1].upper() + text[1:]
        first = cls.docs().split("\n\n", 1)[0].replace("\n", " ")
        first = re.sub(r"^#+\s*What it does\s*", "", first).strip()
        return first_sentence(first)

    @classmethod
    def family(cls) -> str:
        """The family the code's first digit names (`NN2xx` -> "optimization loop")."""
        return FAMILIES.get(cls.code[2:3], "other")

    @classmethod
    def visitors(cls) -> dict[type, str]:
        """Node types this rule visits, mapped to method names (found once per rule class)."""
        found = _VISITORS.get(cls)
        if found is None:
            found = _VISITORS[cls] = {}
            for attr in dir(cls):
                if attr.startswith("visit_"):
                    node_type = getattr(cst, attr[len("visit_") :], None)
                    if isinstance(node_type, type):
                        found[node_type] = attr
        return found


class LoopRule(Rule):
    """A rule about training loops: `check_loop` is called once for every `for` and `while` loop, with the
    engine's analysis of it (`nnlint.engine.loops.Loop`: its kind and the ordered events of one iteration),
    in files where a loop can train at all (`TrainingLoops.may_train`); and once for every process
    function handed to PyTorch-Ignite's `Engine` (`TrainingLoops.process_loops`), the body of the batch
    loop Ignite runs, whose node is the function."""

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.ctx.loops.may_train:
            loop = self.ctx.loops.process_loop(node)
            if loop is not None:
                self.check_loop(loop)

    def visit_For(self, node: cst.For) -> None:
        if self.ctx.loops.may_train:
            self.check_loop(self.ctx.loops.loop(node))

    def visit_While(self, node: cst.While) -> None:
        if self.ctx.loops.may_train:
            self.check_loop(self.ctx.loops.loop(node))

    def check_loop(self, loop: Loop) -> None:
        raise NotImplementedError


@cache
def all_rules() -> tuple[type[Rule], ...]:
    """Every rule shipped in `nnlint.rules`, sorted by code."""
    import nnlint.rules as package

    found: dict[str, type[Rule]] = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Rule)
                and value is not Rule
                and value.__module__ == module.__name__
            ):
                if value.code in found:
                    raise RuntimeError(f"two rules share the code {value.code}")
                found[value.code] = value
    return tuple(found[code] for code in sorted(found))


def default_rules() -> tuple[type[Rule], ...]:
    """The rules that run when nothing is selected (and under `ALL`): every rule but the opt-in ones."""
    return tuple(rule for rule in all_rules() if not rule.opt_in)


def rule_by_code_or_name(key: str) -> type[Rule] | None:
    key = key.strip()
    for rule in all_rules():
        if rule.code.lower() == key.lower() or rule.name == key:
            return rule
    return None
