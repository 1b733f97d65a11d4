"""Precision corpus: run `nnlint check` with every rule over real training code and list what it reports.

Issue 8 asks that every finding on real, well-known training code be read and judged. This script pins that
code: a list of (repository, commit, folders) whose Python files are materialized from the fetched mirrors
(`/work/.mirror/<owner>+<name>/repo`, bare git directories) into a scratch folder, one folder per repository,
so each is checked as its own project. It then runs `nnlint check --format json --select ALL --no-cache
--exit-zero` from each repository's root and prints the corpus size, the count of findings per code and every
finding (`repo path:line CODE message`). `--json OUT` also writes all of it as JSON for later comparison.

`--list FILE` replaces the pinned corpus by a wide sweep: one `owner/name commit` a line (whole
repository, `#` starts a comment), e.g. bench/wide_corpus.txt, the precision sweep over repositories that no
real-bug manifest uses. `--max-files N` caps the files taken from each repository (the first N paths in
sorted order). A repository on which nnlint fails is recorded (`errors` in the JSON) and the sweep goes on;
each repository's check time is recorded too, to spot slow inputs.

Only `.py` files are materialized (mirrors lack large data files, and nothing else is checked). Test folders
are left out: the corpus is training code, not a library's test suite.

    python bench/corpus.py [--mirrors DIR] [--scratch DIR] [--jobs 2] [--only REPO] [--json OUT]
                           [--list bench/wide_corpus.txt --max-files 150]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

DEFAULT_MIRRORS = Path("/work/.mirror")
DEFAULT_SCRATCH = Path("/tmp/nnlint-corpus")


@dataclass(frozen=True)
class Source:
    """One pinned repository and the folders (or single files) of it that belong to the corpus."""

    repo: str
    commit: str
    folders: tuple[str, ...]


CORPUS: tuple[Source, ...] = (
    Source("pytorch/examples", "77f55b912142e11fcfdf5b530231fb9c52f181e8", ("",)),
    Source("karpathy/nanoGPT", "3adf61e154c3fe3fca428ad6bc3818b27a3b8291", ("",)),
    Source("karpathy/minGPT", "37baab71b9abea1b76ab957409a1cc2fbfba8a26", ("mingpt", "projects")),
    Source(
        "huggingface/pytorch-image-models",
        "aa4b5850c1543fa488abf260f18390eda46cf85d",
        ("timm", "train.py", "validate.py", "inference.py", "benchmark.py"),
    ),
    Source(
        "facebookresearch/fairseq",
        "3d262bb25690e4eb2e7d3c1309b1e9c406ca4b99",
        ("fairseq", "fairseq_cli", "examples", "train.py"),
    ),
    Source("pytorch/torchtitan", "b5bcd76c66d0acb1a08b176d9639425bc55e0b2a", ("torchtitan",)),
    Source(
        "Lightning-AI/pytorch-lightning",
        "7f0c3436cd3f6ad3753125672024fc415cbcb414",
        ("examples", "src/lightning/pytorch", "src/lightning/fabric"),
    ),
    Source("huggingface/accelerate", "16cb6eb80dd9aa8b4df1a63ef57863e455d53b83", ("examples", "src")),
    Source("huggingface/diffusers", "58eb52c0803ea9af3abec60841c2a093bdf1f951", ("examples",)),
    Source("facebookresearch/detr", "29901c51d7fe8712168b8d0d64351170bc0f83e0", ("",)),
    Source("facebookresearch/mae", "efb2a8062c206524e35e47d04501ed4f544c0ae8", ("",)),
)


def is_test_path(path: str) -> bool:
    """Test suites are not training code: drop `tests/` folders and `test_*.py` / `*_test.py` files."""
    parts = PurePosixPath(path).parts
    name = parts[-1]
    return (
        any(part in ("test", "tests") for part in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
    )


def git(git_dir: Path, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(git_dir), *args], check=True, capture_output=True).stdout


def read_list(path: Path) -> tuple[Source, ...]:
    """The whole-repository sources of a list file: `owner/name commit` a line, `#` comments."""
    sources: list[Source] = []
    for line in path.read_text().splitlines():
        fields = line.split("#", 1)[0].split()
        if fields:
            sources.append(Source(fields[0], fields[1], ("",)))
    return tuple(sources)


def corpus_files(git_dir: Path, source: Source) -> list[tuple[str, str]]:
    """The (blob id, path) of every corpus `.py` file of `source` at its commit."""
    listing = git(git_dir, "ls-tree", "-r", "--full-tree", source.commit).decode()
    chosen: list[tuple[str, str]] = []
    for line in listing.splitlines():
        meta, path = line.split("\t", 1)
        mode, kind, blob = meta.split()
        if kind != "blob" or mode == "120000" or not path.endswith(".py") or is_test_path(path):
            continue
        if any(not folder or path == folder or path.startswith(folder + "/") for folder in source.folders):
            chosen.append((blob, path))
    return chosen


def materialize(git_dir: Path, source: Source, dest: Path, max_files: int | None = None) -> list[Path]:
    """Write the corpus files of `source` (at most `max_files`, by sorted path) under `dest` (emptied first)
    with one `git cat-file --batch`."""
    if dest.exists():
        subprocess.run(["rm", "-rf", str(dest)], check=True)
    dest.mkdir(parents=True)
    # A marker so that nnlint takes this folder as the project root, as it would in a real checkout.
    (dest / ".git").mkdir()
    files = sorted(corpus_files(git_dir, source), key=lambda item: item[1])[:max_files]
    request = "".join(f"{blob}\n" for blob, _ in files).encode()
    out = subprocess.run(
        ["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
        input=request,
        check=True,
        capture_output=True,
    ).stdout
    written: list[Path] = []
    offset = 0
    for _, path in files:
        header_end = out.index(b"\n", offset)
        header = out[offset:header_end].split()
        if header[-1] == b"missing":
            offset = header_end + 1
            continue
        size = int(header[2])
        body = out[header_end + 1 : header_end + 1 + size]
        offset = header_end + 1 + size + 1
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        written.append(target)
    return written


class NnlintFailed(Exception):
    """nnlint exited with an error on a corpus repository."""


def run_nnlint(root: Path, jobs: int) -> list[dict]:
    """Every finding of `nnlint check --select ALL` on the project at `root`, as its JSON objects."""
    nnlint = Path(sys.executable).with_name("nnlint")
    command = [str(nnlint) if nnlint.exists() else "nnlint", "check", "--format", "json", "--select", "ALL"]
    command += ["--no-cache", "--exit-zero", "-j", str(jobs), "."]
    proc = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if proc.returncode != 0:
        raise NnlintFailed(f"nnlint failed on {root} (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout or "[]")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirrors", type=Path, default=DEFAULT_MIRRORS, help="folder of fetched mirrors")
    parser.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH, help="where to materialize the code")
    parser.add_argument("--jobs", type=int, default=2, help="nnlint worker processes (default 2)")
    parser.add_argument("--only", action="append", default=[], help="check only this repo (repeatable)")
    parser.add_argument("--json", type=Path, help="also write sizes and findings to this JSON file")
    parser.add_argument("--list", type=Path, help="sweep these repositories (`owner/name commit` lines)")
    parser.add_argument("--max-files", type=int, help="take at most this many files of each repository")
    args = parser.parse_args(argv)

    pinned = read_list(args.list) if args.list else CORPUS
    sources = [s for s in pinned if not args.only or s.repo in args.only]
    totals = {"files": 0, "lines": 0}
    per_repo: list[dict] = []
    findings: list[dict] = []
    errors: list[dict] = []
    for source in sources:
        git_dir = args.mirrors / source.repo.replace("/", "+") / "repo"
        if not git_dir.is_dir():
            print(f"skip {source.repo}: no mirror at {git_dir}", file=sys.stderr)
            continue
        root = args.scratch / source.repo.replace("/", "+")
        written = materialize(git_dir, source, root, args.max_files)
        lines = sum(path.read_bytes().count(b"\n") for path in written)
        totals["files"] += len(written)
        totals["lines"] += lines
        started = time.perf_counter()
        try:
            found = run_nnlint(root, args.jobs)
        except NnlintFailed as failure:
            if not args.list:
                raise SystemExit(str(failure)) from None
            errors.append({"repo": source.repo, "commit": source.commit, "error": str(failure)})
            print(failure, file=sys.stderr)
            found = []
        seconds = round(time.perf_counter() - started, 2)
        for finding in found:
            finding["repo"] = source.repo
            finding["commit"] = source.commit
        findings.extend(found)
        per_repo.append(
            {
                "repo": source.repo,
                "commit": source.commit,
                "files": len(written),
                "lines": lines,
                "findings": len(found),
                "seconds": seconds,
            }
        )
        print(
            f"{source.repo}@{source.commit[:10]}: {len(written)} files, {lines} lines, {len(found)} findings,"
            f" {seconds} s",
            file=sys.stderr,
        )

    counts = Counter(f["code"] for f in findings)
    print(f"corpus: {len(per_repo)} repositories, {totals['files']} files, {totals['lines']} lines")
    print(f"findings: {len(findings)}")
    for error in errors:
        print(f"  error: {error['repo']}", file=sys.stderr)
    for code, count in sorted(counts.items()):
        print(f"  {code}: {count}")
    for f in sorted(findings, key=lambda f: (f["code"], f["repo"], f["filename"], f["location"]["row"])):
        print(f"{f['code']} {f['repo']} {f['filename']}:{f['location']['row']} {f['message']}")
    if args.json:
        report = {
            "totals": totals,
            "repos": per_repo,
            "counts": dict(sorted(counts.items())),
            "findings": findings,
            "errors": errors,
        }
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
