"""Score `nnlint check` against a development set of real bugs fixed in public repositories.

Each manifest entry names a repository, the commit *before* the fix, the file and line a reviewer would
change, and the rule class that should report it. For every entry the repository tree at that commit is
materialized from its fetched mirror into a scratch cache (reused across runs), and `nnlint check` runs on
the entry's file from the tree's root, so that project-wide analysis sees the modules around it. A bug is
found when a finding of its class lands on its line (within one line) or on one of its other lines. Clean
entries (well-known scripts believed bug-free) report every finding as a false finding.

    python bench/real_bugs/score.py [--manifest FILE ...] [--only NN401] [--json OUT] [--mirrors DIR]

Without --manifest it scores every bench/real_bugs/manifest*.json except those marked
`"scored_by_default": false` (a held-out set that rule work must not see until it is measured).
See bench/real_bugs/README.md for the manifest's schema and how to add a bug.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_MIRRORS = Path("/work/.mirror")
DEFAULT_CACHE = Path("/tmp/nnlint-real-bugs")
# Files materialized from a tree: sources and the files that mark a project's root or configure it.
# Everything else (weights, images, data, notebooks) is skipped, as is any file above MAX_FILE_BYTES.
TEXT_SUFFIXES = {".py", ".pyi", ".toml", ".cfg", ".ini", ".txt", ".yaml", ".yml", ".json", ".md"}
MAX_FILE_BYTES = 2_000_000
LINE_SLACK = 1
CHECK_TIMEOUT_S = 300


@dataclass
class Bug:
    id: str
    repo: str
    commit: str
    path: str
    line: int
    cls: str
    in_scope: bool = True
    lines: list[int] = field(default_factory=list)
    check: list[str] = field(default_factory=list)
    manifest: str = ""

    def acceptable_lines(self) -> set[int]:
        lines = {self.line + d for d in range(-LINE_SLACK, LINE_SLACK + 1)}
        return lines | set(self.lines)

    def checked_paths(self) -> list[str]:
        """The files `check` names, in its order, with the entry's own file first where `check` leaves it
        out: the finding is looked for in `path`, so it is always checked."""
        if self.path in self.check:
            return list(self.check)
        return [self.path, *self.check]


@dataclass
class Clean:
    id: str
    repo: str
    commit: str
    path: str
    manifest: str = ""


@dataclass
class Result:
    id: str
    cls: str
    in_scope: bool
    status: str  # "hit", "miss", "error" or "no-mirror"
    detail: str = ""
    findings: list[dict] = field(default_factory=list)


def load_manifests(paths: list[Path]) -> tuple[list[Bug], list[Clean], list[str]]:
    """Read and merge manifest files; returns bugs, clean entries and problems (duplicate ids, bad fields)."""
    bugs: list[Bug] = []
    clean: list[Clean] = []
    problems: list[str] = []
    seen: set[str] = set()
    for path in paths:
        data = json.loads(path.read_text())
        for raw in data.get("bugs", []):
            try:
                bug = Bug(
                    id=raw["id"],
                    repo=raw["repo"],
                    commit=raw["commit"],
                    path=raw["path"],
                    line=int(raw["line"]),
                    cls=raw["class"],
                    in_scope=bool(raw.get("in_scope", True)),
                    lines=[int(n) for n in raw.get("lines", [])],
                    check=list(raw.get("check", [])),
                    manifest=path.name,
                )
            except (KeyError, TypeError, ValueError) as exc:
                problems.append(f"{path.name}: bad bug entry {raw.get('id', '?')}: {exc!r}")
                continue
            if bug.id in seen:
                problems.append(f"{path.name}: duplicate id {bug.id}")
                continue
            seen.add(bug.id)
            bugs.append(bug)
        for raw in data.get("clean", []):
            try:
                entry = Clean(raw["id"], raw["repo"], raw["commit"], raw["path"], manifest=path.name)
            except (KeyError, TypeError) as exc:
                problems.append(f"{path.name}: bad clean entry {raw.get('id', '?')}: {exc!r}")
                continue
            if entry.id in seen:
                problems.append(f"{path.name}: duplicate id {entry.id}")
                continue
            seen.add(entry.id)
            clean.append(entry)
    return bugs, clean, problems


def default_manifests(folder: Path = HERE) -> list[Path]:
    """The manifests a plain run scores: every `manifest*.json` in `folder` that does not opt out.

    A held-out set opts out with a top-level `"scored_by_default": false`, so that the default run, which
    everyone tuning rules uses, never prints its ids or misses; it is scored only when named with
    --manifest.
    """
    return [
        path
        for path in sorted(folder.glob("manifest*.json"))
        if json.loads(path.read_text()).get("scored_by_default", True)
    ]


def find_git_dir(mirrors: Path, repo: str) -> Path | None:
    """The bare git directory of a fetched mirror (`owner+name/repo` or `owner+name/repo/.git`), if any."""
    base = mirrors / repo.replace("/", "+")
    if not base.is_dir():
        return None
    for candidate in (base, base / "repo", base / "repo" / ".git", base / ".git"):
        if (candidate / "HEAD").is_file() and (candidate / "objects").is_dir():
            return candidate
    for head in sorted(base.rglob("HEAD")):
        if (head.parent / "objects").is_dir():
            return head.parent
    return None


def _git(git_dir: Path, *args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), *args], input=data, capture_output=True, check=True
    ).stdout


def materialize(git_dir: Path, commit: str, dest: Path) -> None:
    """Write the tree at `commit` into `dest` (text sources only, each under MAX_FILE_BYTES).

    A `.complete` marker makes the copy reusable; an interrupted copy is redone from scratch.
    """
    if (dest / ".complete").is_file():
        return
    if dest.exists():
        shutil.rmtree(dest)
    listing = _git(git_dir, "ls-tree", "-r", "-l", "-z", commit).split(b"\0")
    wanted: list[tuple[str, str]] = []
    for row in listing:
        if not row:
            continue
        meta, _, name = row.partition(b"\t")
        mode, kind, sha, size = meta.split()
        path = name.decode("utf-8", "surrogateescape")
        # A snapshot can lack large blobs: `ls-tree -l` then gives no size for them (skipped too).
        if kind != b"blob" or mode == b"120000" or not size.isdigit() or int(size) > MAX_FILE_BYTES:
            continue
        if Path(path).suffix.lower() in TEXT_SUFFIXES or Path(path).name in {"setup.py", "setup.cfg"}:
            wanted.append((path, sha.decode()))
    blobs = _git(git_dir, "cat-file", "--batch", data="".join(f"{sha}\n" for _, sha in wanted).encode())
    pos = 0
    for path, _sha in wanted:
        header_end = blobs.index(b"\n", pos)
        header = blobs[pos:header_end].split()
        if len(header) != 3:  # "<sha> missing": absent from the snapshot
            pos = header_end + 1
            continue
        size = int(header[2])
        content = blobs[header_end + 1 : header_end + 1 + size]
        pos = header_end + 1 + size + 1
        target = dest / path
        if ".." in Path(path).parts:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    # The tree is a git checkout: mark it so, as project-root discovery looks for `.git`.
    (dest / ".git").mkdir(parents=True, exist_ok=True)
    (dest / ".complete").write_text(commit + "\n")


def run_nnlint(root: Path, paths: list[str]) -> list[dict]:
    """`nnlint check` on `paths` from `root`, every rule on, no cache; returns the JSON findings."""
    proc = subprocess.run(
        [sys.executable, "-m", "nnlint", "check", "--format", "json", "--no-cache", "--select", "ALL"]
        + paths,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=CHECK_TIMEOUT_S,
    )
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"nnlint exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout or "[]")


def _same_file(filename: str, path: str) -> bool:
    return os.path.normpath(filename) == os.path.normpath(path)


def is_hit(bug: Bug, findings: list[dict]) -> bool:
    """A finding of the bug's class in the bug's file, on its line (within one) or one of its other lines."""
    lines = bug.acceptable_lines()
    return any(
        f.get("code") == bug.cls
        and _same_file(f.get("filename", ""), bug.path)
        and f["location"]["row"] in lines
        for f in findings
    )


def _tree(bugs_cache: Path, git_dir: Path, repo: str, commit: str) -> Path:
    dest = bugs_cache / f"{repo.replace('/', '+')}@{commit}"
    materialize(git_dir, commit, dest)
    return dest


def score_bug(bug: Bug, mirrors: Path, cache: Path) -> Result:
    git_dir = find_git_dir(mirrors, bug.repo)
    if git_dir is None:
        return Result(bug.id, bug.cls, bug.in_scope, "no-mirror", bug.repo)
    try:
        root = _tree(cache, git_dir, bug.repo, bug.commit)
        missing = [p for p in bug.checked_paths() if not (root / p).is_file()]
        if missing:
            return Result(bug.id, bug.cls, bug.in_scope, "error", f"not in the tree: {', '.join(missing)}")
        findings = run_nnlint(root, bug.checked_paths())
    except (subprocess.SubprocessError, RuntimeError, ValueError, OSError) as exc:
        return Result(bug.id, bug.cls, bug.in_scope, "error", str(exc)[:500])
    status = "hit" if is_hit(bug, findings) else "miss"
    near = [f for f in findings if f.get("code") == bug.cls]
    detail = "" if status == "hit" else _describe(near, bug)
    return Result(bug.id, bug.cls, bug.in_scope, status, detail, findings)


def _describe(near: list[dict], bug: Bug) -> str:
    if not near:
        return f"no {bug.cls} finding"
    spots = ", ".join(f"{f['filename']}:{f['location']['row']}" for f in near)
    return f"{bug.cls} elsewhere: {spots}"


def score_clean(entry: Clean, mirrors: Path, cache: Path, only: str | None) -> Result:
    git_dir = find_git_dir(mirrors, entry.repo)
    if git_dir is None:
        return Result(entry.id, "clean", False, "no-mirror", entry.repo)
    try:
        root = _tree(cache, git_dir, entry.repo, entry.commit)
        if not (root / entry.path).is_file():
            return Result(entry.id, "clean", False, "error", f"not in the tree: {entry.path}")
        findings = run_nnlint(root, [entry.path])
    except (subprocess.SubprocessError, RuntimeError, ValueError, OSError) as exc:
        return Result(entry.id, "clean", False, "error", str(exc)[:500])
    if only:
        findings = [f for f in findings if f.get("code", "").startswith(only)]
    return Result(entry.id, "clean", False, "clean", "", findings)


def summarize(bug_results: list[Result]) -> dict:
    """Per-class and overall in-scope recall (errors and missing mirrors are left out of the totals)."""
    per_class: dict[str, dict[str, int]] = defaultdict(lambda: {"found": 0, "total": 0})
    scope = {"found": 0, "total": 0}
    for r in bug_results:
        if r.status not in ("hit", "miss"):
            continue
        per_class[r.cls]["total"] += 1
        per_class[r.cls]["found"] += r.status == "hit"
        if r.in_scope:
            scope["total"] += 1
            scope["found"] += r.status == "hit"
    return {"per_class": dict(sorted(per_class.items())), "in_scope": scope}


def _ratio(counts: dict[str, int]) -> str:
    total = counts["total"]
    return f"{counts['found']}/{total}" + (f" = {counts['found'] / total:.2f}" if total else "")


def report(bug_results: list[Result], clean_results: list[Result], problems: list[str]) -> str:
    out: list[str] = []
    summary = summarize(bug_results)
    out.append("Recall per class:")
    for cls, counts in summary["per_class"].items():
        out.append(f"  {cls}: {_ratio(counts)}")
    out.append(f"In-scope recall: {_ratio(summary['in_scope'])}")
    misses = [r for r in bug_results if r.status == "miss"]
    if misses:
        out.append(f"\nMisses ({len(misses)}):")
        out.extend(f"  {r.cls} {r.id}: {r.detail}" for r in misses)
    errors = [r for r in bug_results + clean_results if r.status == "error"]
    if errors:
        out.append(f"\nErrors ({len(errors)}):")
        out.extend(f"  {r.id}: {r.detail}" for r in errors)
    false = [(r, f) for r in clean_results for f in r.findings]
    checked_clean = [r for r in clean_results if r.status == "clean"]
    out.append(f"\nFalse findings on {len(checked_clean)} clean files: {len(false)}")
    for r, f in false:
        out.append(f"  {r.id}: {f['code']} {f['filename']}:{f['location']['row']} {f['message'][:90]}")
    absent = sorted({r.detail for r in bug_results + clean_results if r.status == "no-mirror"})
    if absent:
        out.append(f"\nMissing mirrors (fetch these; their entries were skipped): {', '.join(absent)}")
    if problems:
        out.append("\nManifest problems:")
        out.extend(f"  {p}" for p in problems)
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--manifest",
        action="append",
        type=Path,
        help="manifest file (repeatable; default: every bench/real_bugs/manifest*.json not marked "
        "scored_by_default: false)",
    )
    parser.add_argument("--mirrors", type=Path, default=DEFAULT_MIRRORS, help="folder of fetched mirrors")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="scratch folder for trees")
    parser.add_argument("--only", metavar="CLASS", help="score only bugs of this class (a code or prefix)")
    parser.add_argument("--id", action="append", help="score only the entries with these ids (repeatable)")
    parser.add_argument("--no-clean", action="store_true", help="skip the clean files")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write machine-readable results here")
    args = parser.parse_args(argv)

    manifests = args.manifest or default_manifests()
    if not manifests:
        parser.error("no manifest files found")
    for path in manifests:
        if not path.is_file():
            parser.error(f"no such manifest: {path}")
    bugs, clean, problems = load_manifests(manifests)
    if args.only:
        bugs = [b for b in bugs if b.cls.startswith(args.only)]
    if args.id:
        bugs = [b for b in bugs if b.id in args.id]
        clean = [c for c in clean if c.id in args.id]
    if args.no_clean:
        clean = []

    args.cache.mkdir(parents=True, exist_ok=True)
    bug_results = [score_bug(b, args.mirrors, args.cache) for b in bugs]
    clean_results = [score_clean(c, args.mirrors, args.cache, args.only) for c in clean]
    print(report(bug_results, clean_results, problems))
    if args.json:
        payload = {
            "summary": summarize(bug_results),
            "bugs": [asdict(r) for r in bug_results],
            "clean": [asdict(r) for r in clean_results],
            "problems": problems,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
