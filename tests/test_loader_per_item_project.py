"""A feature extractor that loops over slides, builds a data loader over each slide's tiles and runs the model
it is handed over each loader is an evaluation (marugoto's `extract_features_`); an entry function of another
module that builds a network, loads its weights and hands it over by keyword beside spread arguments
(`extract_features_(*args, **kwargs, model=model.cuda())`) leaves it in training mode: NN404 is reported in
the extractor's module, at its forward."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnlint.config import Overrides
from nnlint.session import run_check

_EXTRACT = """import torch
from torch.utils.data import DataLoader, Dataset


class Tiles(Dataset):
    def __init__(self, folder):
        self.tiles = sorted(folder.glob("*.jpg"))

    def __len__(self):
        return len(self.tiles)

    def __getitem__(self, i):
        return torch.load(self.tiles[i])


def extract_features_(*, model, slide_dirs, outdir):
    for slide_dir in slide_dirs:
        tiles = Tiles(slide_dir)
        loader = DataLoader(tiles, batch_size=64, shuffle=False)
        feats = []
        for batch in loader:
            feats.append(model(batch).cpu().detach())
        torch.save(torch.cat(feats), outdir / slide_dir.name)
"""
_ENTRY = """import torch
import torchvision
from extract import extract_features_


def extract_resnet_features_(checkpoint, *args, **kwargs):
    model = torchvision.models.resnet18()
    model.load_state_dict(torch.load(checkpoint))
    model.fc = torch.nn.Identity()
{switch}    return extract_features_(*args, **kwargs, model=model.cuda())
"""


def _project(tmp_path: Path, switch: str = "", extract: str = _EXTRACT) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "extract.py").write_text(extract)
    (tmp_path / "resnet.py").write_text(_ENTRY.format(switch=switch))


def _found(paths: list[str]) -> list[tuple[str, str, int]]:
    outcome = run_check([Path(path) for path in paths], Overrides(select=frozenset({"NN404"})))
    assert outcome.crashes == []
    return sorted((Path(f.filename).name, f.code, f.location.row) for f in outcome.findings)


def test_a_network_handed_by_keyword_beside_spread_arguments_is_evaluated_in_training_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _project(tmp_path)
    assert _found(["extract.py", "resnet.py"]) == [("extract.py", "NN404", 22)]


def test_the_entry_function_that_switches_to_eval_is_silent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _project(tmp_path, switch="    model.eval()\n")
    assert _found(["extract.py", "resnet.py"]) == []


def test_an_epoch_loop_that_builds_its_loader_from_no_item_is_no_evaluation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`for epoch in range(n):` building a loader over the same data set each epoch and handing the outputs to
    an update nobody can see into: the loader is built from nothing the loop binds, so the function is no
    evaluation and the caller's fresh network is no evaluation in training mode."""
    monkeypatch.chdir(tmp_path)
    epochs = _EXTRACT.replace("for slide_dir in slide_dirs:", "for epoch in range(10):").replace(
        "tiles = Tiles(slide_dir)", "tiles = Tiles(outdir)"
    )
    _project(tmp_path, extract=epochs)
    assert _found(["extract.py", "resnet.py"]) == []
