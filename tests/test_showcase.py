"""The README's example script runs as its docstring says: it trains, and the loss goes down.

Its planted bugs are the quiet kind nnlint exists for (`tests/test_fixture_scripts.py` checks that each is
found); a crash would be a loud one, and `nnlint run` or `--probe` on the example would fail on it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SHOWCASE = Path(__file__).resolve().parent.parent / "fixtures" / "scripts" / "showcase" / "buggy_train.py"

# The script is unseeded on purpose (NN301 is one of its planted bugs), so an unlucky draw can leave the last
# epoch's loss above the first; the test seeds torch from outside and runs the script as `python` would.
SEEDED_RUN = (
    "import runpy, sys, torch; torch.manual_seed(0); runpy.run_path(sys.argv[1], run_name='__main__')"
)


def test_showcase_script_trains_and_its_loss_goes_down() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SEEDED_RUN, str(SHOWCASE)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    losses = [float(loss) for loss in re.findall(r"^epoch \d+: loss ([0-9.]+)", result.stdout, re.MULTILINE)]
    assert len(losses) == 10, result.stdout
    assert losses[-1] < losses[0], result.stdout
