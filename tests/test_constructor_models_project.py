"""A model handed to a wrapper's constructor keeps what the engine knows about it (nnlint.engine.bindings,
project, activations): `Trainer(encoder, ...)` / `SupervisedLearning(args, encoder, ...)` built by a
script, `self.encoder = encoder` (also aliased, `self.model = self.encoder`) run in a method and scored
by a loss. The script may import the class through its package's `__init__.py` re-export (`from
clmr.modules import SupervisedLearning`). Every construction in the project must pass a known model
that agrees; the criterion may come from a method that returns it (`self.configure_criterion()`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnlint.config import Overrides
from nnlint.session import run_check

_NETS = """import torch.nn as nn


class Tagger(nn.Module):
    def __init__(self, supervised=True):
        super().__init__()
        self.supervised = supervised
        self.fc = nn.Linear(8, 4)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        logit = self.fc(x)
        {guard}logit = self.sigmoid(logit)
        return logit


class Plain(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        return self.fc(x)
"""
_WRAPPER = """import torch
import torch.nn as nn


class Wrapper:
    def __init__(self, args, encoder):
        self.args = args
        self.encoder = encoder
        self.model = self.encoder
        self.criterion = self.configure_criterion()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1)

    def configure_criterion(self):
{criterion}
    def fit(self, loader):
        for x, y in loader:
            self.optimizer.zero_grad()
            loss = self.criterion(self.{run}(x), y)
            loss.backward()
            self.optimizer.step()
"""
_SINGLE = "        criterion = nn.BCEWithLogitsLoss()\n        return criterion\n"
_BRANCHED = (
    "        if self.args.dataset == 'tags':\n"
    "            criterion = nn.BCEWithLogitsLoss()\n"
    "        else:\n"
    "            criterion = nn.CrossEntropyLoss()\n"
    "        return criterion\n"
)
_MAIN = """import torch
{imports}


def main(args, loader):
    torch.manual_seed(0)
    encoder = {model}
    {wrapper}(args, encoder).fit(loader)
"""


def _project(
    root: Path,
    imports: str = "from lib.modules import Wrapper\nfrom lib.nets import Tagger, Plain",
    model: str = "Tagger()",
    guard: str = "",
    criterion: str = _SINGLE,
    run: str = "model",
    wrapper: str = "Wrapper",
) -> None:
    (root / "pyproject.toml").write_text("")
    (root / "lib" / "modules").mkdir(parents=True)
    (root / "lib" / "__init__.py").write_text("from .modules import Wrapper\n")
    (root / "lib" / "modules" / "__init__.py").write_text("from .wrapper import Wrapper\n")
    (root / "lib" / "modules" / "wrapper.py").write_text(_WRAPPER.format(criterion=criterion, run=run))
    (root / "lib" / "nets.py").write_text(_NETS.format(guard=guard))
    (root / "main.py").write_text(_MAIN.format(imports=imports, model=model, wrapper=wrapper))


def _check(code: str = "NN401") -> list[tuple[str, int]]:
    outcome = run_check([Path(".")], Overrides(select=frozenset({code})))
    assert outcome.crashes == []
    return sorted((f.filename, f.location.row) for f in outcome.findings)


_SIGMOID = [("lib/nets.py", 13)]


@pytest.mark.parametrize(
    ("imports", "wrapper"),
    [
        ("from lib.modules.wrapper import Wrapper", "Wrapper"),
        # Through the package's re-export, one and two packages up.
        ("from lib.modules import Wrapper", "Wrapper"),
        ("from lib import Wrapper", "Wrapper"),
        ("import lib.modules as modules", "modules.Wrapper"),
    ],
)
def test_a_model_a_script_hands_to_a_constructor_reaches_the_loss_the_class_scores_it_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, imports: str, wrapper: str
) -> None:
    """`Wrapper(args, encoder)` in main.py with `encoder = Tagger()`: the wrapper's `self.model` (an
    alias of `self.encoder = encoder`) ends in the Tagger's sigmoid, which its criterion, returned by
    `self.configure_criterion()`, applies again (NN401 at the sigmoid, in the model's module)."""
    monkeypatch.chdir(tmp_path)
    _project(tmp_path, imports=imports + "\nfrom lib.nets import Tagger", wrapper=wrapper)
    assert _check() == _SIGMOID


def test_a_wrapper_defined_in_a_package_init_is_found_through_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The class lives in `lib/modules/__init__.py` itself: its importers name the package, not a module."""
    monkeypatch.chdir(tmp_path)
    _project(tmp_path)
    wrapper = tmp_path / "lib" / "modules" / "wrapper.py"
    (tmp_path / "lib" / "modules" / "__init__.py").write_text(wrapper.read_text())
    wrapper.unlink()
    assert _check() == _SIGMOID


@pytest.mark.parametrize("run", ["model", "encoder"])
def test_the_attribute_and_its_alias_both_hold_the_passed_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: str
) -> None:
    monkeypatch.chdir(tmp_path)
    _project(tmp_path, run=run)
    assert _check() == _SIGMOID


def test_a_criterion_method_whose_branches_return_different_losses_is_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`BCEWithLogitsLoss` for one dataset and `CrossEntropyLoss` otherwise (CLMR's `configure_criterion`):
    which one runs is not known, and a sigmoid is not the named mistake for cross-entropy: silent."""
    monkeypatch.chdir(tmp_path)
    _project(tmp_path, criterion=_BRANCHED)
    assert _check() == []


def test_callers_that_pass_models_of_different_kinds_leave_the_attribute_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second script hands the wrapper a model that returns logits: which one `self.model` holds is a
    matter of which script runs, and the wrapper's code is right for one of them (silent)."""
    monkeypatch.chdir(tmp_path)
    _project(tmp_path)
    (tmp_path / "other.py").write_text(
        _MAIN.format(
            imports="from lib.modules import Wrapper\nfrom lib.nets import Plain",
            model="Plain()",
            wrapper="Wrapper",
        )
    )
    assert _check() == []


def test_a_wrapper_no_project_module_constructs_is_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library class whose users are not in the project: what its constructor is given is unknown."""
    monkeypatch.chdir(tmp_path)
    _project(tmp_path)
    (tmp_path / "main.py").write_text("import torch\n")
    assert _check() == []


@pytest.mark.parametrize(
    ("model", "rows"),
    [
        # The flag is set from the command line: the sigmoid runs only on some paths, the others give
        # logits, which is what the loss expects (silent, as for any model that may end either way).
        ("Tagger(supervised=args.supervised)", []),
        ("Tagger(supervised=False)", []),
    ],
)
def test_an_activation_under_a_constructor_flag_stays_silent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, model: str, rows: list[tuple[str, int]]
) -> None:
    monkeypatch.chdir(tmp_path)
    _project(tmp_path, model=model, guard="if self.supervised:\n            ")
    assert _check() == rows
