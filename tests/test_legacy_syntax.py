"""Files written for Python 3 grammars before 3.7 (`x.cuda(async=True)`) are checked like any other, in the
checked file and in the project modules it imports; so are Python 2 scripts whose only Python 2 spelling is
the print statement. Other Python 2 files stay NN000 and say why."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

import nnlint.runner
from nnlint.config import Overrides
from nnlint.legacy_syntax import parse_legacy, parse_mixed_indentation
from nnlint.rule import default_rules
from nnlint.runner import check_source, parse_source
from nnlint.session import run_check

OLD_SCRIPT = """\
import torch
import torch.nn as nn
import torch.nn.functional as F


def train(model, loader, optimizer):
    criterion = nn.CrossEntropyLoss()
    for x, y in loader:
        x = x.cuda(async=True)
        y = y.cuda(async=True)
        probs = F.softmax(model(x), dim=1)
        loss = criterion(probs, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
"""


def test_async_keyword_arguments_are_parsed_and_the_file_is_checked() -> None:
    result = check_source("old.py", OLD_SCRIPT, default_rules())
    assert [(f.code, f.location.row) for f in result.findings] == [("NN401", 11)]


def test_the_recovered_tree_prints_the_original_text() -> None:
    source = "async = 1\nawait = async\nx.cuda(async=True)\ndef f(async=False):\n    return x.async\n"
    module = parse_source("old.py", source)
    assert isinstance(module, cst.Module)
    assert module.code == source
    names = {node.value for node in _names(module)}
    assert {"async", "await"} <= names


def test_coroutine_keywords_stay_keywords() -> None:
    # `async def` / `async with` keep their meaning; only the name use is read as a name (as in 3.6).
    source = "async def f(s):\n    async with s:\n        pass\n\nx.cuda(async=True)\n"
    module = parse_source("mixed.py", source)
    assert isinstance(module, cst.Module) and module.code == source
    assert isinstance(module.body[0], cst.FunctionDef) and module.body[0].asynchronous is not None


def test_text_that_fails_for_another_reason_is_not_recovered() -> None:
    assert parse_legacy("x.cuda(async=True)\ndef (:\n") is None
    finding = parse_source("bad.py", "x.cuda(async=True)\ndef (:\n")
    assert not isinstance(finding, cst.Module) and finding.code == "NN000"


def test_python2_files_stay_nn000_and_say_so() -> None:
    for source in ("print 'loss', loss\nx = `loss`\n", 'exec "x = 1"\n'):
        finding = parse_source("py2.py", source)
        assert not isinstance(finding, cst.Module)
        assert finding.code == "NN000" and "Python 2" in finding.message
    finding = parse_source("typo.py", "def f(:\n")
    assert not isinstance(finding, cst.Module) and "Python 2" not in finding.message


def test_files_that_parse_never_try_the_older_grammar(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(nnlint.runner, "parse_legacy", lambda source: calls.append(source))
    assert isinstance(
        parse_source("new.py", "import torch\nx = torch.ones(2).cuda(non_blocking=True)\n"), cst.Module
    )
    assert calls == []


def test_an_imported_module_with_async_names_is_read_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "heads.py").write_text(
        "import torch\n\ndef probs(x):\n    x = x.cuda(async=True)\n    return torch.softmax(x, dim=-1)\n"
    )
    (tmp_path / "train.py").write_text(
        "import torch.nn.functional as F\nfrom heads import probs\nloss = F.cross_entropy(probs(z), y)\n"
    )
    findings = run_check([Path("train.py")], Overrides()).findings
    assert [(f.filename, f.code, f.location.row) for f in findings] == [("heads.py", "NN401", 5)]


def _names(module: cst.Module) -> list[cst.Name]:
    found: list[cst.Name] = []

    class Collect(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            found.append(node)

    module.visit(Collect())
    return found


PY2_SCRIPT = """\
import torch.nn.functional as F


def train(model, loader, optimizer):
    for i, (x, y) in enumerate(loader):
        probs = F.softmax(model(x), dim=1)
        loss = F.cross_entropy(probs, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if i % 10 == 0: print 'iter', i, 'loss =', loss.data[0]
    print
    print "done"
"""


def test_python2_print_statements_are_read_as_expressions_and_the_file_is_checked() -> None:
    result = check_source("py2.py", PY2_SCRIPT, default_rules())
    assert [(f.code, f.location.row, f.location.column) for f in result.findings] == [("NN401", 6, 17)]


@pytest.mark.parametrize(
    "source",
    [
        "print 'a', b\n",
        "print x,\n",
        "if a: print x\n",
        "x = 1; print not x\n",
        "print {'a': 1}\n",
        "def f():\n    print 'a' % b\n    return x.cuda(async=True)\n",
    ],
)
def test_print_statements_parse_with_positions_unchanged(source: str) -> None:
    module = parse_source("py2.py", source)
    assert isinstance(module, cst.Module)
    printed = module.code
    assert len(printed) == len(source) and printed.splitlines()[0][:3] == source.splitlines()[0][:3]
    assert "async" not in source or "async=True" in printed


@pytest.mark.parametrize(
    "source",
    # Already Python 3 (a call, a name, a shift, a subtraction, a subscript): the text is left as it is.
    ["print(x)\n", "print\n", "print >>f, x\n", "print -x\n", "print [0]\n", "x = print\n"],
)
def test_python3_uses_of_print_are_not_rewritten(source: str) -> None:
    module = parse_source("py3.py", source)
    assert isinstance(module, cst.Module) and module.code == source


def test_print_not_starting_a_statement_is_not_a_print_statement() -> None:
    # `foo.print x` is no print statement: the text stays unparseable.
    assert parse_legacy("foo.print x\n") is None
    assert parse_legacy("y = print 'a'\n") is None


# A tab after the blanks of its block (`for` at four blanks, its body at tab + four): CPython reads the tab
# as eight columns and accepts the file; libcst's tokenizer does not.
MIXED_TABS = (
    "import torch\n\n\ndef train(model, loader, optimizer):\n    for x, y in loader:\n"
    "\t    loss = torch.nn.functional.cross_entropy(torch.softmax(model(x), 1), y)\n"
    "\t    optimizer.zero_grad()\n\t    loss.backward()\n\t    optimizer.step()\n    return model\n"
)


def test_tabs_mixed_into_blank_indentation_are_read_with_positions_unchanged() -> None:
    module = parse_source("mixed_tabs.py", MIXED_TABS)
    assert isinstance(module, cst.Module)
    assert len(module.code) == len(MIXED_TABS)  # one blank per tab: every position stays right
    result = check_source("mixed_tabs.py", MIXED_TABS, default_rules())
    assert [(f.code, f.location.row) for f in result.findings] == [("NN401", 6)]


def test_a_tab_swap_that_would_change_the_tree_is_not_used() -> None:
    # The tab stands for eight columns beside eight blanks: one blank in its place would end the block.
    assert parse_mixed_indentation("if x:\n        a = 1\n\tb = 2\n") is None
    # A tab inside a string is text, not indentation: swapping it would change the string.
    assert parse_mixed_indentation('s = """\n\t x\n"""\n') is None
