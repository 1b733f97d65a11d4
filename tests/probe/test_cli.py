"""`nnlint probe`: exit codes, output formats, flags, and one-paragraph errors for bad input."""

from __future__ import annotations

import json
import sys

import pytest
from click.testing import CliRunner
from probe_helpers import fixture, marked_line

from nnlint.cli import main


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["probe", *args])
    return result.exit_code, result.stdout, result.stderr


def test_clean_model_exits_0_and_says_so(device: str) -> None:
    code, out, _ = invoke(fixture("causal_gpt"), "--device", device)
    assert code == 0
    assert "Clean: no batch mixing, no causal leakage" in out


def test_leak_exits_1_with_the_line_and_the_matrix(device: str) -> None:
    code, out, _ = invoke(fixture("off_by_one_mask") + ":build", "--device", device)
    path, line = marked_line("off_by_one_mask")
    assert code == 1
    assert f"off_by_one_mask.py:{line}:9: NN902 causal-leakage" in out
    assert "att = att.softmax(dim=-1)" in out
    # Two layers that each see one step ahead: row 0 depends on steps 0..2, and 1 and 2 are forbidden.
    assert "     0 #XX........." in out


def test_json_output_uses_the_check_schema(device: str) -> None:
    code, out, _ = invoke(fixture("view_mixing"), "--format", "json", "--device", device)
    assert code == 1
    [finding] = json.loads(out)
    assert finding["code"] == "NN901" and finding["name"] == "batch-mixing"
    assert finding["location"]["row"] == marked_line("view_mixing")[1]
    assert finding["evidence"]["located_by"] == "eager (module hooks)"
    assert finding["evidence"]["probe_batch"] == 5 and len(finding["evidence"]["leaks"]) == 20


def test_json_of_a_clean_model_is_an_empty_list(device: str) -> None:
    code, out, _ = invoke(fixture("batch_mean_fixed"), "--format", "json", "--device", device)
    assert (code, json.loads(out)) == (0, [])


def test_flags_override_the_factory(device: str) -> None:
    # The factory says causal; --no-causal skips the causal test, so the missing mask goes unreported.
    code, out, _ = invoke(fixture("missing_mask"), "--no-causal", "--device", device)
    assert code == 0 and "causality" not in out
    # --shift 3 allows three steps of lookahead: the symmetric conv stack sees exactly three.
    assert invoke(fixture("symmetric_conv"), "--shift", "3", "--device", device)[0] == 0
    assert invoke(fixture("symmetric_conv"), "--shift", "2", "--device", device)[0] == 1


def test_input_shape_builds_inputs_for_a_model_only_factory(device: str) -> None:
    code, out, _ = invoke(
        fixture("batchnorm_net"), "--input-shape", "4,3,8,8", "--train-mode", "--device", device
    )
    assert code == 0
    assert "BatchNorm2d `1`: expected, not a bug" in out


def test_vocab_size_makes_token_inputs(tmp_path, device: str) -> None:
    factory = tmp_path / "lm.py"
    factory.write_text(
        "import torch\n"
        "def build():\n"
        "    return torch.nn.Sequential(torch.nn.Embedding(50, 8), torch.nn.Linear(8, 50))\n"
    )
    code, out, _ = invoke(
        str(factory), "--input-shape", "2,9", "--vocab-size", "50", "--causal", "--device", device
    )
    assert code == 0, out
    assert "token ids (gradients at the embedding output)" in out


@pytest.mark.parametrize(
    ("target", "extra", "message"),
    [
        ("bad_import", [], "Importing"),
        ("bad_return", [], "The factory returned a str"),
        ("bad_forward", [], "The model's forward raised RuntimeError"),
        ("batchnorm_net", [], "pass --input-shape"),
        ("batchnorm_net", ["--input-shape", "4,3,8,8", "--dtype", "int64"], "need --vocab-size"),
        ("batch_mean", ["--causal"], "time dimension"),
    ],
)
def test_bad_input_is_one_paragraph_and_exit_2(target: str, extra: list[str], message: str) -> None:
    code, out, err = invoke(fixture(target), "--device", "cpu", *extra)
    assert code == 2
    assert message in err
    assert "Traceback" not in err and err.startswith("error: ") and err.count("\n") == 1


def test_a_module_without_forward_names_what_could_be_probed(tmp_path) -> None:
    """A LightningModule that computes in its training_step alone: Lightning's forward passes the call on to
    nn.Module's, which raises NotImplementedError. That read "check that the inputs match what the model
    expects" (Lightning 2.6.6); no input could. The stand-in has Lightning's pass-through forward."""
    factory = tmp_path / "lit.py"
    factory.write_text(
        "import torch\n"
        "class LightningModule(torch.nn.Module):\n"
        "    def forward(self, *args, **kwargs):\n"
        "        return super().forward(*args, **kwargs)\n"
        "class Lit(LightningModule):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.net = torch.nn.Linear(10, 3)\n"
        "    def training_step(self, batch, batch_idx):\n"
        "        return self.net(batch[0]).sum()\n"
        "def build():\n"
        "    return Lit(), torch.randn(4, 10)\n"
    )
    code, _, err = invoke(str(factory), "--device", "cpu")
    assert code == 2 and err.count("\n") == 1, err
    assert "Lit defines no forward()" in err and "(`.net`)" in err
    assert "check that the inputs match" not in err


def test_the_returned_type_is_named_with_its_article(tmp_path) -> None:
    """ "The factory returned a int" read as a typo in the one line a user gets."""
    factory = tmp_path / "five.py"
    factory.write_text("def build():\n    return 5\n")
    assert "The factory returned an int;" in invoke(f"{factory}:build", "--device", "cpu")[2]


def test_unknown_module_and_missing_attribute_are_bad_input() -> None:
    assert "Could not import module" in invoke("no_such_package.models:build")[2]
    assert "has no callable named 'make'" in invoke(fixture("batch_mean") + ":make")[2]
    assert "Cannot find the file" in invoke("missing/file.py:build")[2]


@pytest.mark.parametrize(
    ("source", "target", "said"),
    [
        ("import sys\n\ndef build():\n    sys.exit(0)\n", "build", "The factory"),
        ("def build():\n    raise SystemExit(3)\n", "build", "The factory"),
        ("import sys\nsys.exit(0)\n", "build", "Importing"),
    ],
)
def test_a_target_that_exits_is_bad_input_not_its_exit_status(tmp_path, source, target, said) -> None:
    path = tmp_path / "exits.py"
    path.write_text(source)
    code, _, err = invoke(f"{path}:{target}")
    assert code == 2
    assert said in err and "called sys.exit(" in err and "Traceback" not in err


@pytest.mark.parametrize("where", ["def build():\n    raise KeyboardInterrupt\n", "raise KeyboardInterrupt"])
def test_ctrl_c_in_a_factory_exits_130(tmp_path, where: str) -> None:
    path = tmp_path / "slow.py"
    path.write_text(where)
    code, _, err = invoke(f"{path}:build")
    assert code == 130 and "Interrupted." in err and "Aborted" not in err


def test_a_target_without_a_path_is_bad_input() -> None:
    code, _, err = invoke(":build")
    assert code == 2 and "names no file or module" in err


def test_verbose_shows_the_traceback() -> None:
    code, _, err = invoke(fixture("bad_import"), "--verbose")
    assert code == 2
    assert "Traceback" in err and "broken on purpose" in err


def test_out_of_memory_is_bad_input(tmp_path) -> None:
    factory = tmp_path / "huge.py"
    factory.write_text(
        "import torch\n"
        "class Huge(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        raise torch.cuda.OutOfMemoryError('CUDA out of memory. Tried to allocate 80.00 GiB')\n"
        "def build():\n"
        "    return Huge(), torch.randn(2, 3)\n"
    )
    code, _, err = invoke(str(factory), "--device", "cpu")
    assert code == 2 and "Out of memory while probing" in err and "--device cpu" in err


def test_unavailable_device_is_bad_input() -> None:
    import torch

    if torch.cuda.is_available():
        assert "only" in invoke(fixture("batch_mean"), "--device", "cuda:99")[2]
    else:
        assert "no CUDA GPU" in invoke(fixture("batch_mean"), "--device", "cuda")[2]
    assert "Unknown device" in invoke(fixture("batch_mean"), "--device", "tpu9")[2]


def test_bad_shape_is_a_usage_error() -> None:
    code, _, err = invoke(fixture("batchnorm_net"), "--input-shape", "4,three")
    assert code == 2 and "not a shape" in err


def test_without_torch_it_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    code, _, err = invoke(fixture("batch_mean"))
    assert code == 2
    assert "pip install 'nnlint[probe]'" in err


def test_the_command_module_does_not_import_torch() -> None:
    import subprocess

    code = "import sys; import nnlint.probe.command; sys.exit(1 if 'torch' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
