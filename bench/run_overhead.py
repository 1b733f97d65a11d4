"""After the checks, does a `nnlint run --continue` run train as fast as the plain script?

`--continue` removes every hook and wrapper once the checks are done, so the remaining steps should cost what
they cost without nnlint. This runs the same small training script both ways, alternating, in one process,
times each step inside the script, and prints the ratio of the median step time after the checks (with
nnlint / without). 1.00 means no overhead.

    python bench/run_overhead.py [--repeats 5] [--steps 300]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import textwrap
from pathlib import Path

import torch
from click.testing import CliRunner

from nnlint.cli import main
from nnlint.run.capture import Target, run_target

# A conv net on synthetic images; each step's wall time goes to the JSON file named by argv[1].
TRAIN = textwrap.dedent(
    """
    import json, sys, time
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 8 * 8, 10),
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    images, labels = torch.randn(32, 3, 32, 32), torch.randint(0, 10, (32,))
    times = []
    for step in range(int(sys.argv[2])):
        start = time.perf_counter()
        loss = nn.functional.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        times.append(time.perf_counter() - start)
    json.dump(times, open(sys.argv[1], "w"))
    """
)
# Steps at the start of each run that are not compared: the checks run inside the first one.
SKIP = 5


def _steps(script: Path, out: Path, steps: int, with_nnlint: bool) -> list[float]:
    args = [str(out), str(steps)]
    if with_nnlint:
        result = CliRunner().invoke(main, ["run", "--continue", str(script), "--", *args])
        assert result.exit_code in (0, 1), result.stderr
    else:
        run_target(Target(path=script), args)
    return json.loads(out.read_text())[SKIP:]


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=300)
    # One thread by default: on a shared 2-core machine two threads oversubscribe the cores and the step
    # times swing by 2x between runs, drowning the difference being measured.
    parser.add_argument("--threads", type=int, default=1)
    options = parser.parse_args()
    torch.set_num_threads(options.threads)
    with tempfile.TemporaryDirectory() as folder:
        script, out = Path(folder) / "train.py", Path(folder) / "times.json"
        script.write_text(TRAIN)
        plain, checked = [], []
        for repeat in range(options.repeats):
            order = (False, True) if repeat % 2 == 0 else (True, False)  # alternate: drift hits both alike
            for with_nnlint in order:
                median = statistics.median(_steps(script, out, options.steps, with_nnlint))
                (checked if with_nnlint else plain).append(median)
    ratio = statistics.median(checked) / statistics.median(plain)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {options.repeats} repeats x "
        f"{options.steps - SKIP} steps compared"
    )
    print(f"median step without nnlint: {statistics.median(plain) * 1e3:.3f} ms")
    print(f"median step after nnlint's checks (--continue): {statistics.median(checked) * 1e3:.3f} ms")
    print(f"ratio (with / without): {ratio:.3f}")


if __name__ == "__main__":
    main_()
