"""Score `nnlint check` on the blind synthetic suites (see README.md).

This is the one scorer of every bench/synthetic*/ suite: `--suite bench/synthetic2` scores another
suite's cases (its `cases/` folder); the default is this folder's.

Each case under cases/bug/ and cases/clean/ (a file, or a folder holding a small package) is checked on
its own with the default rule selection, as a user would run it. A `# BUG: NNxxx` mark in a buggy case
is found when a finding of that class lands on the marked line or a neighbour (+-1). Every finding on a
clean case is a false finding. Findings on buggy cases that match no mark are listed as "extra" (the
suite does not claim those files are otherwise clean, so they are shown for reading, not counted).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
MARK = re.compile(r"#\s*BUG:\s*(NN\d{3})")


def nnlint_cmd() -> list[str]:
    """The nnlint of the running interpreter's environment."""
    exe = Path(sys.executable).with_name("nnlint")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "nnlint"]


def cases(root: Path, kind: str) -> list[Path]:
    return sorted(p for p in (root / kind).iterdir() if p.suffix == ".py" or p.is_dir())


def marks(case: Path) -> list[tuple[str, int, str]]:
    """(file relative to the case's folder, line, class) for every BUG mark of a case."""
    files = [case] if case.is_file() else sorted(case.rglob("*.py"))
    out = []
    for f in files:
        for i, line in enumerate(f.read_text().splitlines(), 1):
            for m in MARK.finditer(line):
                out.append((str(f.resolve()), i, m.group(1)))
    return out


def check(case: Path) -> list[dict]:
    proc = subprocess.run(
        [*nnlint_cmd(), "check", "--format", "json", "--no-cache", "--exit-zero", str(case)],
        capture_output=True,
        text=True,
        cwd=case.parent,
    )
    if proc.returncode != 0:
        raise SystemExit(f"nnlint failed on {case}: {proc.stderr[-2000:]}")
    findings = json.loads(proc.stdout or "[]")
    for f in findings:
        f["filename"] = str((case.parent / f["filename"]).resolve())
    return findings


def main() -> None:
    """Score the suite whose cases are under `--suite`'s `cases/` folder (its bug/ and clean/ folders)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", type=Path, help="a bench/synthetic*/ folder to score (default: this one)")
    ap.add_argument("--json", help="write the full result here")
    args = ap.parse_args()
    root = args.suite.resolve() / "cases" if args.suite is not None else CASES

    def short(path: str) -> str:
        return os.path.relpath(path, root)

    per_class: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses, extras, clean_findings = [], [], []
    for case in cases(root, "bug"):
        findings = check(case)
        used = set()
        for path, line, code in marks(case):
            per_class[code][1] += 1
            hit = [
                i
                for i, f in enumerate(findings)
                if f["code"] == code and f["filename"] == path and abs(f["location"]["row"] - line) <= 1
            ]
            if hit:
                per_class[code][0] += 1
                used.update(hit)
            else:
                elsewhere = [
                    f"{short(f['filename'])}:{f['location']['row']}" for f in findings if f["code"] == code
                ]
                misses.append(
                    {"mark": f"{short(path)}:{line}", "code": code, "same_class_elsewhere": elsewhere}
                )
        for i, f in enumerate(findings):
            if i not in used:
                extras.append({"at": f"{short(f['filename'])}:{f['location']['row']}", "code": f["code"]})
    for case in cases(root, "clean"):
        for f in check(case):
            clean_findings.append(
                {
                    "at": f"{short(f['filename'])}:{f['location']['row']}",
                    "code": f["code"],
                    "message": f["message"],
                }
            )

    found = sum(v[0] for v in per_class.values())
    total = sum(v[1] for v in per_class.values())
    print("class  found/marks  recall")
    for code in sorted(per_class):
        k, n = per_class[code]
        print(f"{code}  {k:>5}/{n:<5}  {k / n:.2f}")
    print(f"ALL    {found:>5}/{total:<5}  {found / total:.3f}")
    print(f"\nmisses ({len(misses)}):")
    for m in misses:
        where = (
            f" (same class at {', '.join(m['same_class_elsewhere'])})" if m["same_class_elsewhere"] else ""
        )
        print(f"  {m['code']} {m['mark']}{where}")
    print(f"\nfindings on {len(cases(root, 'clean'))} clean cases: {len(clean_findings)}")
    for c in clean_findings:
        print(f"  {c['code']} {c['at']}: {c['message'][:160]}")
    print(f"\nextra findings on buggy cases (not at a mark, not counted): {len(extras)}")
    for e in extras:
        print(f"  {e['code']} {e['at']}")
    if args.json:
        result = {
            "per_class": {c: {"found": v[0], "marks": v[1]} for c, v in sorted(per_class.items())},
            "recall": found / total,
            "misses": misses,
            "clean_findings": clean_findings,
            "extras": extras,
        }
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
