"""A safe fix keeps what the code does; anything else is unsafe or not offered at all. Each case here was
a fix that changed meaning, broke the file or its layout."""

from __future__ import annotations

import textwrap
from pathlib import Path

from click.testing import CliRunner

from nnlint.cli import main
from nnlint.finding import Edit, Fix, Position
from nnlint.lsp.server import _keeps_parsing
from nnlint.rule import rule_by_code_or_name
from nnlint.runner import check_source


def fixed(tmp_path: Path, source: str | bytes, *options: str) -> bytes:
    path = tmp_path / "train.py"
    path.write_bytes(source if isinstance(source, bytes) else source.encode())
    result = CliRunner().invoke(main, ["check", "--no-cache", "--fix", *options, str(path)])
    assert result.exit_code in (0, 1), result.output
    return path.read_bytes()


def findings(source: str, code: str) -> list:
    rule = rule_by_code_or_name(code)
    assert rule is not None
    return [f for f in check_source("train.py", source, [rule]).findings if f.code == code]


def test_nn001_keeps_the_words_after_the_suppression_as_a_comment(tmp_path: Path) -> None:
    source = (
        "import torch\n"
        "x = torch.zeros(4)  # nnlint: ignore[NN101] -- reshape is intended\n"
        "y = 1  # nnlint: ignore[NN101] * 0 if legacy else 1\n"
        "z = 2  # noqa: NN101 -- why\n"
    )
    assert fixed(tmp_path, source, "--select", "NN001,NN101").decode() == (
        "import torch\nx = torch.zeros(4)  # -- reshape is intended\ny = 1  # * 0 if legacy else 1\n"
        "z = 2  # -- why\n"
    )


LOOP = """\
import torch
losses = []
total = 0.0
for x, y in loader:
    loss = criterion(model(x), y)
    loss.backward()
    optimizer.step()
    losses.append(loss)
    total += loss
{after}
"""


def _applicability(after: str) -> dict[int, str]:
    return {f.location.row: f.fix.applicability for f in findings(LOOP.format(after=after), "NN501")}


def test_nn501_is_safe_only_when_the_total_is_used_as_a_number() -> None:
    numbers = 'print(f"{total / len(loader):.3f}", sum(losses) / len(losses))\navg = total / 3\nprint(avg)'
    assert _applicability(numbers) == {8: "safe", 9: "safe"}
    tensors = "stacked = torch.stack(losses)\nprint(total.item())"
    assert _applicability(tensors) == {8: "unsafe", 9: "unsafe"}
    passed_on = "log_losses(losses)\nreturn_value = total\nsave(return_value)"
    assert _applicability(passed_on) == {8: "unsafe", 9: "unsafe"}


def test_nn102_does_not_flag_splatted_sizes_that_keep_the_batch() -> None:
    source = textwrap.dedent(
        """\
        import torch.nn as nn
        class Attention(nn.Module):
            def forward(self, hidden_states, x):
                input_shape = hidden_states.shape[:-1]
                attn_output = self.attn(hidden_states).reshape(*input_shape, -1)
                return self.o_proj(attn_output), self.fc(x.reshape(-1, *x.shape[2:]))
        """
    )
    assert findings(source, "NN102") == []


def test_nn402_fix_after_a_parenthesized_argument_parses(tmp_path: Path) -> None:
    source = (
        "import torch.nn as nn\n"
        "block = nn.Sequential(nn.Conv2d(3, 16, 3, padding=(1)), nn.BatchNorm2d(16))\n"
        "other = nn.Sequential(nn.Conv2d(3, 16, (3),), nn.BatchNorm2d(16))\n"
    )
    assert fixed(tmp_path, source, "--select", "NN402", "--unsafe-fixes").decode() == (
        "import torch.nn as nn\n"
        "block = nn.Sequential(nn.Conv2d(3, 16, 3, padding=(1), bias=False), nn.BatchNorm2d(16))\n"
        "other = nn.Sequential(nn.Conv2d(3, 16, (3), bias=False,), nn.BatchNorm2d(16))\n"
    )


def test_nn301_keeps_crlf_and_the_indentation_of_continuation_lines(tmp_path: Path) -> None:
    source = (
        'import torch\r\n\r\nif __name__ == "__main__":\r\n'
        "    model = torch.nn.Linear(10,\r\n"
        "                            1)\r\n"
        "    loader = torch.utils.data.DataLoader(dataset, batch_size=32, shuffle=True)\r\n"
        "    fit(model, loader)\r\n"
    )
    expected = source.replace("    model =", "    torch.manual_seed(0)\r\n    model =")
    assert fixed(tmp_path, source, "--select", "NN301", "--unsafe-fixes").decode() == expected


def test_a_fix_that_would_not_parse_is_not_offered_by_the_language_server() -> None:
    source = "x = f(1)\n"
    broken = Fix(
        "break it",
        (Edit(Position(1, 7), Position(1, 8), "1, ="),),
    )
    working = Fix(
        "change it",
        (Edit(Position(1, 7), Position(1, 8), "2"),),
    )
    assert not _keeps_parsing(source, broken)
    assert _keeps_parsing(source, working)
