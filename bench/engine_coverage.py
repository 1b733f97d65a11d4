"""Engine coverage: how much of the real training code in the precision corpus the engine recognizes.

A rule can only fire where the engine sees the pieces of a training program: the training loop, the
evaluation, the model, optimizer, scheduler, criterion and loaders, the entry point. Bugs are rare in the
corpus, but those pieces are everywhere, so their recognition is measured here without labels: for each
corpus file, cheap textual evidence that a piece exists (`.backward(` and `.step(` in one loop: a training
loop) is compared with what the engine answers (`ctx.loops`, `ctx.evaluation`, `ctx.roles`, `ctx.entry`).
Evidence is a heuristic, so an "unrecognized" entry is a case to read, not necessarily an engine miss.

The corpus is materialized by `bench/corpus.py` (same pinned sources, same scratch layout); each file is
analysed in-process as `nnlint check` would see it (the project root is the repository folder).

    python bench/engine_coverage.py [--scratch DIR] [--only REPO] [--piece NAME] [--list N] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus  # noqa: E402  (the bench folder is no package)

from nnlint.engine.context import FileContext  # noqa: E402
from nnlint.engine.loops import EventKind, Loop  # noqa: E402
from nnlint.engine.positions import compute_ranges  # noqa: E402
from nnlint.engine.project import begin_check  # noqa: E402
from nnlint.engine.roles import Role  # noqa: E402
from nnlint.engine.training_calls import trains  # noqa: E402

DEFAULT_SCRATCH = Path("/tmp/nnlint-coverage/corpus")

# A call of a helper that, by its name, runs a training epoch or step (`train_one_epoch(`, `train_step(`,
# `trainer.train_epoch(`): a loop around it is a training loop the engine should see through.
_TRAIN_HELPER = re.compile(r"\b(?:\w+\.)*(train(?:_one)?_(?:epoch|step|batch|iter\w*)|training_step)\(")
_EVAL_WORDS = re.compile(r"\.eval\(\)|no_grad|inference_mode")
# A call of a model-named object (`model(x)`, `self.net(x)`, `model.module(x)`, `model.predict(x)`).
_MODEL_CALL = re.compile(r"\b\w*(?:model|net)(?:\.module)?(?:\.(?:predict|infer\w*|generate|sample))?\(")


@dataclass(frozen=True)
class Case:
    """One piece the text says exists, and whether the engine recognized it."""

    piece: str
    path: str
    row: int
    text: str
    recognized: bool


def _code(ctx: FileContext, node: cst.CSTNode) -> str:
    return ctx.module.code_for_node(node)


def _rows(ctx: FileContext, nodes: list[cst.CSTNode]) -> list[int]:
    ranges = compute_ranges(ctx.module, nodes)
    return [ranges[id(node)].start.line if id(node) in ranges else 0 for node in nodes]


def _first_line(ctx: FileContext, node: cst.CSTNode) -> str:
    lines = [line.strip() for line in _code(ctx, node).splitlines()]
    return next((line for line in lines if line and not line.startswith(("#", "@"))), "")[:90]


def _descendant_loops(ctx: FileContext, loop: Loop) -> list[Loop]:
    return [
        other for other in ctx.loops.loops if other is loop or loop.node in ctx.index.ancestors(other.node)
    ]


def _training_loops(ctx: FileContext) -> Iterator[tuple[cst.CSTNode, str, bool]]:
    """Loops whose text backpropagates and steps (directly or through a train-step helper's name)."""
    if "backward" not in ctx.source and not _TRAIN_HELPER.search(ctx.source):
        return
    for loop in ctx.loops.loops:
        text = _code(ctx, loop.node)
        inner = _descendant_loops(ctx, loop)
        if ".backward(" in text and ".step(" in text:
            # the loop's or a nested loop's iteration trains (or runs a wrapper's training step)
            ok = any(other.trains or other.of_kind(EventKind.TRAIN_STEP, own=False) for other in inner)
            if any(other is not loop for other in inner if ".backward(" in _code(ctx, other.node)):
                continue  # judged at the innermost loop that says it
            yield loop.node, "train_loop", ok
        elif _TRAIN_HELPER.search(text):
            calls = [c for c in ctx.index.nodes(cst.Call) if loop.node in ctx.index.ancestors(c)]
            helper = [c for c in calls if _TRAIN_HELPER.match(_code(ctx, c))]
            ok = bool(loop.of_kind(EventKind.STEP, EventKind.TRAIN_STEP, own=False)) or any(
                trains(ctx, call) for call in helper
            )
            yield loop.node, "train_helper_loop", ok


def _evaluations(ctx: FileContext) -> Iterator[tuple[cst.CSTNode, str, bool]]:
    """Functions that never backpropagate or step, say eval()/no_grad, and call a model-named object in a
    loop (`model(x)`, `self.net(x)`, `model.predict(x)`): an evaluation or inference loop."""
    if not _EVAL_WORDS.search(ctx.source):
        return
    evaluation = ctx.evaluation
    regions = [region.node for region in evaluation.regions]
    for function in ctx.index.nodes(cst.FunctionDef):
        if function.name.value in ("__init__", "step", "forward"):
            continue
        text = _code(ctx, function)
        if ".backward(" in text or ".step(" in text or not _EVAL_WORDS.search(text):
            continue
        own = [loop for loop in ctx.loops.loops if loop.function is function]
        if not any(_MODEL_CALL.search(_code(ctx, loop.node.body)) for loop in own):
            continue
        ok = evaluation.is_eval_function(function) or any(
            region is function
            or function in ctx.index.ancestors(region)
            or region in ctx.index.ancestors(function)
            for region in regions
        )
        yield function, "evaluation", ok


_ROLE_EVIDENCE: tuple[tuple[str, Role, re.Pattern[str]], ...] = (
    # `opt.step()` / `optimizer.zero_grad()` on a name that says optimizer
    ("optimizer", Role.OPTIMIZER, re.compile(r"\b((?:[\w]+\.)*\w*optim\w*)\.(?:step|zero_grad)\(")),
    # an LR scheduler's step takes no argument or one (an epoch, a metric); a diffusion sampler's
    # `scheduler.step(noise_pred, t, latents)` takes several
    ("scheduler", Role.SCHEDULER, re.compile(r"\b((?:[\w]+\.)*\w*sched\w*)\.step\([^,()]*\)")),
    ("criterion", Role.CRITERION, re.compile(r"\b((?:[\w]+\.)*(?:criterion|loss_fn|loss_func\w*))\(")),
    ("model", Role.MODEL, re.compile(r"\b((?:[\w]+\.)*\w*(?:model|net)\w*)\.(?:eval|train)\(\)")),
    ("loader", Role.LOADER, re.compile(r"\bin\s+(?:enumerate\()?((?:[\w]+\.)*\w*loader\w*)\b")),
)


def _roles(ctx: FileContext) -> Iterator[tuple[int, str, str, bool]]:
    seen: set[tuple[str, str]] = set()
    for piece, role, pattern in _ROLE_EVIDENCE:
        for match in pattern.finditer(ctx.source):
            name = match.group(1)
            if name.split(".", 1)[0] in ("torch", "nn", "F") or (piece, name) in seen:
                continue
            line = ctx.source.count("\n", 0, match.start()) + 1
            if ctx.source_lines[line - 1].lstrip().startswith("#"):
                continue
            seen.add((piece, name))
            yield (
                line,
                piece,
                name,
                ctx.roles.has(name, role) or bool(role in ctx.roles.elements(name.rsplit("[", 1)[0])),
            )


def _entry(ctx: FileContext) -> Iterator[tuple[cst.CSTNode, str, bool]]:
    """A file with a main guard whose training loop (recognized) should be reached by the entry point."""
    if "__main__" not in ctx.source:
        return
    for loop in ctx.loops.training_loops():
        yield loop.node, "entry_reaches_training", ctx.entry.runs(loop.node)
        return


def analyse(path: Path, rel: str) -> list[Case]:
    source = path.read_text(encoding="utf-8", errors="replace")
    if "torch" not in source and "backward(" not in source:
        return []
    try:
        module = cst.parse_module(source)
    except Exception:  # noqa: BLE001 - a file libcst cannot parse has nothing to measure
        return []
    ctx = FileContext(str(path), source, module)
    begin_check()
    cases: list[Case] = []
    found = [item for producer in (_training_loops, _evaluations, _entry) for item in producer(ctx)]
    rows = _rows(ctx, [node for node, _, _ in found])
    for (node, piece, ok), row in zip(found, rows, strict=True):
        first = f"def {node.name.value}" if isinstance(node, cst.FunctionDef) else _first_line(ctx, node)
        cases.append(Case(piece, rel, row, first, ok))
    for line, piece, name, ok in _roles(ctx):
        cases.append(Case(piece, rel, line, name, ok))
    return cases


def _guarded(function: Callable[[Path, str], list[Case]], path: Path, rel: str) -> list[Case]:
    try:
        return function(path, rel)
    except RecursionError:
        return []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, default=corpus.DEFAULT_MIRRORS)
    parser.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH)
    parser.add_argument("--only", action="append", default=[], help="only this repo (repeatable)")
    parser.add_argument("--piece", action="append", default=[], help="list only this piece's misses")
    parser.add_argument("--list", type=int, default=40, help="unrecognized cases listed per piece")
    parser.add_argument("--reuse", action="store_true", help="reuse already materialized files")
    parser.add_argument("--json", type=Path, help="write every case to this JSON file")
    args = parser.parse_args(argv)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))

    started = time.perf_counter()
    cases: list[Case] = []
    for source in corpus.CORPUS:
        if args.only and source.repo not in args.only:
            continue
        git_dir = args.mirrors / source.repo.replace("/", "+") / "repo"
        root = args.scratch / source.repo.replace("/", "+")
        if args.reuse and root.is_dir():
            written = [p for p in root.rglob("*.py")]
        elif git_dir.is_dir():
            written = corpus.materialize(git_dir, source, root)
        else:
            print(f"skip {source.repo}: no mirror", file=sys.stderr)
            continue
        cwd = os.getcwd()
        os.chdir(root)  # the project root, as `nnlint check .` from the repository's folder
        try:
            for path in sorted(written):
                rel = f"{source.repo}:{path.relative_to(root)}"
                cases.extend(_guarded(analyse, path, rel))
        finally:
            os.chdir(cwd)
        print(f"{source.repo}: {len(written)} files, {time.perf_counter() - started:.0f}s", file=sys.stderr)

    pieces = sorted({case.piece for case in cases})
    print(f"{'piece':24} {'evidence':>8} {'recognized':>10} {'missed':>7}")
    for piece in pieces:
        of = [case for case in cases if case.piece == piece]
        hit = sum(case.recognized for case in of)
        print(f"{piece:24} {len(of):8} {hit:10} {len(of) - hit:7}  ({100 * hit / len(of):.0f}%)")
    for piece in pieces:
        if args.piece and piece not in args.piece:
            continue
        missed = [case for case in cases if case.piece == piece and not case.recognized]
        if missed:
            print(f"\n-- {piece}: {len(missed)} unrecognized")
        for case in missed[: args.list]:
            print(f"  {case.path}:{case.row}  {case.text}")
    if args.json:
        args.json.write_text(json.dumps([case.__dict__ for case in cases], indent=0) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
