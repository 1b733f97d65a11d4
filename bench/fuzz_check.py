"""Mutation fuzzing of the static engine on real training code: every exception, with a minimal reproducer.

Valid-but-odd code breaking one of the engine's assumptions is the real risk on users' scripts, so the
mutations keep most programs parseable: cut the file short, delete / duplicate / swap lines, indent or
dedent a block, wrap a block in `if` / `with` / `for`, put another identifier of the file in place of one,
turn a call into its callee, drop a `self.` prefix, make functions (and methods) recursive or mutually
recursive, make classes inherit from each other, bind names to each other in a cycle, and, across the
files of a project, make modules import each other (plain, `from . import *`, relative imports that climb
past the top level, a module importing itself).

The files come from the precision corpus (`bench/corpus.py` materializes them from the fetched mirrors)
and, when no mirror is there, from `fixtures/`. Each mutant is a small project in a scratch folder: a
package holding the mutated file and a second, mutated corpus file, checked file by file in process with
every rule, as `nnlint check` does. A mutant fails when the check raises, when a rule crashes (a
RuleCrash), when a file that is not deeply nested comes back "nesting too deep" (a rule recursing without
end is treated as deep nesting), or when one file takes longer than `--slow` seconds. Each distinct failure
(rule + exception + the line that raised) is reduced by deleting lines while it still fails, and printed
with its reproducer.

    python bench/fuzz_check.py [--seed 7] [--mutants 500] [--only REPO] [--scratch DIR] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus  # noqa: E402 - the sibling bench script, found through the path set just above

from nnlint.rule import all_rules  # noqa: E402
from nnlint.runner import TOO_DEEP, check_bytes  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RULES = list(all_rules())
_NAME = re.compile(r"\b[A-Za-z_]\w*\b")
_DEF = re.compile(r"^(\s*)(?:async\s+)?def\s+(\w+)\s*\(")
_CLASS = re.compile(r"^(\s*)class\s+(\w+)\s*[(:]")
_CALL = re.compile(r"\b([A-Za-z_][\w.]*)\(")
_KEYWORDS = frozenset(
    "False None True and as assert async await break class continue def del elif else except finally for "
    "from global if import in is lambda nonlocal not or pass raise return try while with yield".split()
)

Lines = list[str]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _code_rows(lines: Lines) -> list[int]:
    return [row for row, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")]


def _block(lines: Lines, row: int) -> range:
    """Rows of the statement at `row` and of everything indented below it (its suite)."""
    depth = _indent(lines[row])
    end = row + 1
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > depth):
        end += 1
    return range(row, end)


def _body_indent(lines: Lines, row: int) -> str:
    for line in lines[row + 1 :]:
        if line.strip():
            return line[: _indent(line)] if _indent(line) > _indent(lines[row]) else ""
    return ""


def truncate(lines: Lines, rng: random.Random) -> Lines:
    text = "\n".join(lines)
    return text[: rng.randrange(len(text) + 1)].split("\n")


def delete_line(lines: Lines, rng: random.Random) -> Lines:
    row = rng.choice(_code_rows(lines))
    return lines[:row] + lines[row + 1 :]


def duplicate_line(lines: Lines, rng: random.Random) -> Lines:
    row = rng.choice(_code_rows(lines))
    return lines[:row] + [lines[rng.choice(_code_rows(lines))]] + lines[row:]


def swap_lines(lines: Lines, rng: random.Random) -> Lines:
    rows = _code_rows(lines)
    first, second = rng.choice(rows), rng.choice(rows)
    out = list(lines)
    out[first], out[second] = out[second], out[first]
    return out


def reindent_block(lines: Lines, rng: random.Random) -> Lines:
    rows = _block(lines, rng.choice(_code_rows(lines)))
    out = list(lines)
    for row in rows:
        if rng.random() < 0.5 and out[row].startswith("    "):
            out[row] = out[row][4:]
        else:
            out[row] = "    " + out[row]
    return out


def wrap_block(lines: Lines, rng: random.Random) -> Lines:
    row = rng.choice(_code_rows(lines))
    rows = _block(lines, row)
    margin = lines[row][: _indent(lines[row])]
    header = rng.choice(["if x:", "with ctx() as c:", "for _ in range(3):", "while flag:", "try:"])
    body = ["    " + lines[r] if lines[r].strip() else lines[r] for r in rows]
    tail = [margin + "except Exception:", margin + "    pass"] if header == "try:" else []
    return lines[:row] + [margin + header] + body + tail + lines[rows.stop :]


def replace_identifier(lines: Lines, rng: random.Random) -> Lines:
    names = sorted({n for line in lines for n in _NAME.findall(line) if n not in _KEYWORDS})
    rows = [r for r in _code_rows(lines) if any(n not in _KEYWORDS for n in _NAME.findall(lines[r]))]
    if not names or not rows:
        return lines
    row = rng.choice(rows)
    spans = [m for m in _NAME.finditer(lines[row]) if m.group() not in _KEYWORDS]
    hit = rng.choice(spans)
    out = list(lines)
    out[row] = lines[row][: hit.start()] + rng.choice(names) + lines[row][hit.end() :]
    return out


def call_to_attribute(lines: Lines, rng: random.Random) -> Lines:
    """`f(a, b)` becomes `f`: a call's result replaced by the callee itself."""
    rows = [r for r in _code_rows(lines) if _CALL.search(lines[r])]
    if not rows:
        return lines
    row = rng.choice(rows)
    line = lines[row]
    hit = rng.choice(list(_CALL.finditer(line)))
    depth, end = 0, hit.end() - 1
    for end in range(hit.end() - 1, len(line)):
        depth += {"(": 1, ")": -1}.get(line[end], 0)
        if depth == 0:
            break
    out = list(lines)
    out[row] = line[: hit.end() - 1] + line[end + 1 :] if depth == 0 else line[: hit.end() - 1]
    return out


def drop_self(lines: Lines, rng: random.Random) -> Lines:
    rows = [r for r in range(len(lines)) if "self." in lines[r]]
    if not rows:
        return lines
    row = rng.choice(rows)
    out = list(lines)
    out[row] = lines[row].replace("self.", "", 1 if rng.random() < 0.5 else -1)
    return out


def _defs(lines: Lines, pattern: re.Pattern[str]) -> list[tuple[int, str]]:
    return [(row, m.group(2)) for row, line in enumerate(lines) if (m := pattern.match(line))]


def _call_inside(lines: Lines, row: int, callee: str) -> Lines:
    """`callee(...)` as the first statement of the function defined at `row` (after its whole header)."""
    end = row
    while end < len(lines) and not lines[end].rstrip().endswith(":"):
        end += 1
    if end >= len(lines):
        return lines
    margin = _body_indent(lines, end) or lines[row][: _indent(lines[row])] + "    "
    is_method = "self" in lines[row] or "self" in lines[min(end, len(lines) - 1)]
    target = f"self.{callee}" if is_method else callee
    return lines[: end + 1] + [f"{margin}{target}()"] + lines[end + 1 :]


def recursive(lines: Lines, rng: random.Random) -> Lines:
    defs = _defs(lines, _DEF)
    if not defs:
        return lines
    if len(defs) < 2 or rng.random() < 0.5:
        row, name = rng.choice(defs)
        return _call_inside(lines, row, name)
    (row_a, name_a), (row_b, name_b) = sorted(rng.sample(defs, 2))
    lines = _call_inside(lines, row_b, name_a)
    return _call_inside(lines, row_a, name_b)


def class_cycle(lines: Lines, rng: random.Random) -> Lines:
    """A class inheriting from itself, or two classes inheriting from each other."""
    classes = _defs(lines, _CLASS)
    if not classes:
        return lines
    out = list(lines)
    row, name = rng.choice(classes)
    other = rng.choice(classes)[1]
    out[row] = re.sub(r"class\s+(\w+)\s*(\([^)]*\))?\s*:", f"class \\1({other}):", out[row], count=1)
    if other != name:
        for row_b, name_b in classes:
            if name_b == other:
                out[row_b] = re.sub(
                    r"class\s+(\w+)\s*(\([^)]*\))?\s*:", f"class \\1({name}):", out[row_b], count=1
                )
    return out


def alias_cycle(lines: Lines, rng: random.Random) -> Lines:
    """Top-level names bound to each other in a cycle (`a = b`, `b = a`), or a name to itself."""
    names = [name for _, name in _defs(lines, _DEF) + _defs(lines, _CLASS)] or ["model"]
    first, second = rng.choice(names), rng.choice(names)
    spot = rng.choice([r for r in range(len(lines) + 1) if r == len(lines) or not lines[r][:1].isspace()])
    return lines[:spot] + [f"{first} = {second}", f"{second} = {first}"] + lines[spot:]


def rebind_import(lines: Lines, rng: random.Random) -> Lines:
    """An import bound to a surprising name (`import torch.nn as torch`), or a builtin shadowed."""
    spot = rng.choice([r for r in range(len(lines) + 1) if r == len(lines) or not lines[r][:1].isspace()])
    extra = rng.choice(
        [
            "import torch.nn as torch",
            "from torch import nn as torch",
            "import torch as nn",
            "from torch.nn import functional as nn",
            "range = list",
            "super = None",
            "self = None",
            "torch = torch.nn",
            "from torch import *",
            "from torch.nn import *",
        ]
    )
    return lines[:spot] + [extra] + lines[spot:]


def decorate(lines: Lines, rng: random.Random) -> Lines:
    """A decorator (one that changes what the name is) on a function or class."""
    defs = _defs(lines, _DEF) + _defs(lines, _CLASS)
    if not defs:
        return lines
    row, name = rng.choice(defs)
    margin = lines[row][: _indent(lines[row])]
    decorator = rng.choice(
        [
            "@property",
            "@staticmethod",
            "@classmethod",
            "@torch.no_grad()",
            f"@{name}",
            "@lambda f: f",
            "@x[0].y",
        ]
    )
    return lines[:row] + [margin + decorator] + lines[row:]


def self_reference(lines: Lines, rng: random.Random) -> Lines:
    """An assignment that reads its own target (`self.x = self.x`, `model = model.model`)."""
    rows = [r for r in _code_rows(lines) if re.match(r"\s*[\w.]+\s*=[^=]", lines[r])]
    if not rows:
        return lines
    row = rng.choice(rows)
    target = lines[row].split("=", 1)[0].strip()
    out = list(lines)
    value = rng.choice([target, f"{target}.{target.split('.')[-1]}", f"{target}({target})", f"[{target}]"])
    out[row] = lines[row][: _indent(lines[row])] + f"{target} = {value}"
    return out


def star_arguments(lines: Lines, rng: random.Random) -> Lines:
    """A call's arguments replaced by `*args, **kwargs`, or a starred or keyword-only oddity."""
    rows = [r for r in _code_rows(lines) if re.search(r"\w\([^()]+\)", lines[r])]
    if not rows:
        return lines
    row = rng.choice(rows)
    hit = rng.choice(list(re.finditer(r"(\w)\(([^()]+)\)", lines[row])))
    new = rng.choice(
        ["*args, **kwargs", "*[]", "**{}", f"*{hit.group(2)}", f"{hit.group(2)}, {hit.group(2)}"]
    )
    out = list(lines)
    out[row] = lines[row][: hit.start(2)] + new + lines[row][hit.end(2) :]
    return out


MUTATIONS: dict[str, Callable[[Lines, random.Random], Lines]] = {
    "truncate": truncate,
    "delete-line": delete_line,
    "duplicate-line": duplicate_line,
    "swap-lines": swap_lines,
    "reindent-block": reindent_block,
    "wrap-block": wrap_block,
    "replace-identifier": replace_identifier,
    "call-to-attribute": call_to_attribute,
    "drop-self": drop_self,
    "recursive": recursive,
    "class-cycle": class_cycle,
    "alias-cycle": alias_cycle,
    "rebind-import": rebind_import,
    "decorate": decorate,
    "self-reference": self_reference,
    "star-arguments": star_arguments,
}

# Imports put at the top of the two modules of a project (`train.py`, `helper.py` in package `pkg`).
PROJECT_IMPORTS: dict[str, tuple[str, str]] = {
    "import-cycle": ("from pkg import helper", "from pkg import train"),
    "star-cycle": ("from .helper import *", "from .train import *"),
    "package-star-cycle": ("from . import *", "from . import *"),
    "self-import": ("from .train import *", "import pkg.helper as helper"),
    "beyond-top": ("from .... import helper", "from ...pkg.train import Net"),
    "name-cycle": ("from .helper import Model, train", "from .train import Model, main"),
}


@dataclass
class Mutant:
    number: int
    train: str  # the corpus file mutated into pkg/train.py
    helper: str  # the corpus file mutated into pkg/helper.py
    steps: list[str]
    files: dict[str, str]  # project path -> text


@dataclass
class Failure:
    key: tuple[str, str]
    mutant: Mutant
    file: str
    detail: str
    reduced: dict[str, str] | None = None


def corpus_files(scratch: Path, only: list[str]) -> list[Path]:
    """The corpus files, materialized with bench/corpus.py's own code; fixtures/ when no mirror exists."""
    files: list[Path] = []
    for source in corpus.CORPUS:
        if only and source.repo not in only:
            continue
        git_dir = corpus.DEFAULT_MIRRORS / source.repo.replace("/", "+") / "repo"
        if git_dir.is_dir():
            files += corpus.materialize(git_dir, source, scratch / "corpus" / source.repo.replace("/", "+"))
    return sorted(files) or sorted((ROOT / "fixtures").rglob("*.py"))


def make_mutant(number: int, rng: random.Random, sources: list[Path]) -> Mutant:
    train, helper = rng.choice(sources), rng.choice(sources)
    steps: list[str] = []
    texts = []
    for path in (train, helper):
        lines = path.read_text("utf-8", "replace").split("\n")
        for _ in range(rng.randrange(1, 6) if path is train else rng.randrange(0, 3)):
            name = rng.choice(sorted(MUTATIONS))
            if _code_rows(lines):
                lines = MUTATIONS[name](lines, rng)
                steps.append(f"{'train' if path is train else 'helper'}:{name}")
        texts.append(lines)
    if rng.random() < 0.6:
        name = rng.choice(sorted(PROJECT_IMPORTS))
        for lines, extra in zip(texts, PROJECT_IMPORTS[name], strict=True):
            lines.insert(0, extra)
        steps.append(f"project:{name}")
    files = {"pkg/__init__.py": "from .train import *\n" if rng.random() < 0.3 else ""}
    files["pkg/train.py"] = "\n".join(texts[0])
    files["pkg/helper.py"] = "\n".join(texts[1])
    return Mutant(number, str(train), str(helper), steps, files)


def _write(folder: Path, files: dict[str, str]) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    (folder / ".git").mkdir(parents=True)
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, "utf-8", "surrogateescape")


def _deep(text: str) -> bool:
    """Nesting that may legitimately exhaust the engine's recursion: long lines or many brackets."""
    return any(len(line) > 1000 for line in text.splitlines()) or text.count("(") > 5000


def run_project(
    folder: Path, files: dict[str, str], slow: float, parsed: list[int] | None = None
) -> list[tuple[tuple[str, str], str, str]]:
    """Check each file of the project written at `folder`; the failures as (key, file, detail).

    `parsed` counts the files that parsed (an NN000 finding means the mutation broke the syntax).
    """
    _write(folder, files)
    failures = []
    for name in files:
        path = folder / name
        started = time.perf_counter()
        try:
            result = check_bytes(str(path), path.read_bytes(), RULES)
        except Exception as error:  # noqa: BLE001 - the point is to catch and report every one
            frames = traceback.extract_tb(error.__traceback__)
            where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
            key = ("engine", f"{type(error).__name__} at {where}")
            failures.append((key, name, traceback.format_exc()))
            continue
        elapsed = time.perf_counter() - started
        if parsed is not None and not any(f.code == "NN000" for f in result.findings):
            parsed.append(1)
        for crash in result.crashes:
            # The last frame of the short traceback names the line that raised: one key per cause.
            place = crash.error.split(" | ")
            key = (crash.code, " | ".join(place[-2:]))
            failures.append((key, name, crash.error))
        for finding in result.findings:
            if TOO_DEEP in finding.message and not _deep(files[name]):
                failures.append((("engine", "too deep on shallow code"), name, finding.message))
        if elapsed > slow:
            failures.append((("engine", "slow"), name, f"{elapsed:.1f} s"))
    return failures


def reduce(folder: Path, files: dict[str, str], key: tuple[str, str], slow: float, budget: float) -> dict:
    """Delete chunks of lines from each file while the same failure still happens (within `budget` s)."""
    deadline = time.perf_counter() + budget
    files = dict(files)

    def fails(candidate: dict[str, str]) -> bool:
        return any(k == key for k, _, _ in run_project(folder, candidate, slow))

    for name in sorted(files, key=lambda n: -len(files[n])):
        lines = files[name].split("\n")
        chunk = max(1, len(lines) // 2)
        while chunk >= 1 and time.perf_counter() < deadline:
            start, removed = 0, False
            while start < len(lines) and time.perf_counter() < deadline:
                trial = lines[:start] + lines[start + chunk :]
                if fails({**files, name: "\n".join(trial)}):
                    lines, removed = trial, True
                else:
                    start += chunk
            files[name] = "\n".join(lines)
            if not removed:
                chunk //= 2
    return {name: text for name, text in files.items() if text.strip() or name == "pkg/train.py"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--mutants", type=int, default=500, help="how many projects to check")
    parser.add_argument("--only", action="append", default=[], help="corpus repository (repeatable)")
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/nnlint-fuzz"))
    parser.add_argument("--slow", type=float, default=20.0, help="seconds one file may take")
    parser.add_argument("--reduce-seconds", type=float, default=60.0, help="time to shrink each failure")
    parser.add_argument("--json", type=Path, help="also write the failures to this JSON file")
    args = parser.parse_args(argv)

    sources = corpus_files(args.scratch, args.only)
    rng = random.Random(args.seed)
    found: dict[tuple[str, str], Failure] = {}
    counts: dict[str, int] = {}
    started = time.perf_counter()
    parsed: list[int] = []
    for number in range(args.mutants):
        mutant = make_mutant(number, rng, sources)
        for step in mutant.steps:
            counts[step.split(":")[1]] = counts.get(step.split(":")[1], 0) + 1
        for key, file, detail in run_project(args.scratch / "work", mutant.files, args.slow, parsed):
            if key not in found:
                found[key] = Failure(key, mutant, file, detail)
                print(
                    f"mutant {number}: {key[0]} {key[1]} ({file}; {', '.join(mutant.steps)})", file=sys.stderr
                )
    for failure in found.values():
        failure.reduced = reduce(
            args.scratch / "work", failure.mutant.files, failure.key, args.slow, args.reduce_seconds
        )

    print(
        f"seed {args.seed}: {args.mutants} mutant projects from {len(sources)} corpus files, "
        f"{time.perf_counter() - started:.0f} s; {len(parsed)} of {3 * args.mutants} files parsed"
    )
    print("mutations: " + ", ".join(f"{name} {count}" for name, count in sorted(counts.items())))
    print(f"failures: {len(found)}")
    for failure in found.values():
        print(f"\n== {failure.key[0]}: {failure.key[1]}")
        print(
            f"   mutant {failure.mutant.number} ({', '.join(failure.mutant.steps)}) of {failure.mutant.train}"
        )
        print(f"   {failure.detail.strip().splitlines()[-1]}")
        for name, text in (failure.reduced or {}).items():
            print(f"--- {name}\n{text}")
    if args.json:
        report = [
            {
                "key": list(f.key),
                "mutant": f.mutant.number,
                "steps": f.mutant.steps,
                "train": f.mutant.train,
                "helper": f.mutant.helper,
                "detail": f.detail,
                "reduced": f.reduced,
            }
            for f in found.values()
        ]
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
