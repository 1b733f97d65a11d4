"""`--plot DIR`: the pictures a person would rather look at than read, one PNG per question.

overfit-<model>.png      the memorisation curve on real and zeroed inputs, with the loss floor (NN912/NN913)
activations-<model>.png  per layer, the share of dead or saturated units against the threshold (NN914)
updates-<optimizer>.png  per parameter, ||update|| / ||weight|| at the first step, on the 1e-3 scale (NN915)
dependency-<model>.png   the probe's sample-to-sample dependency matrix, when the probe gives one (NN901)
matplotlib is an optional extra (`pip install nnlint[plot]`); without it the run says so and goes on.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from nnlint.run.params_not_updated import owners
from nnlint.run.session import Session
from nnlint.run.thresholds import Thresholds


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "model"


def write_plots(session: Session, directory: Path) -> list[Path]:
    """Write the PNGs; raises ImportError when matplotlib is missing."""
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(figure: Any, name: str) -> None:
        path = directory / f"{name}.png"
        figure.tight_layout()
        figure.savefig(path, dpi=110)
        plt.close(figure)
        written.append(path)

    thresholds = session.thresholds
    for result in session.models.values():
        if result.real is not None:
            save(_overfit(plt, result), f"overfit-{_slug(result.name)}")
        if result.layers:
            save(_activations(plt, result, thresholds), f"activations-{_slug(result.name)}")
        matrix = result.probe.batch.matrix if result.probe is not None else None
        if matrix is not None:
            save(_dependency(plt, result.name, matrix), f"dependency-{_slug(result.name)}")
    names = owners(session.instrumentation.models.values())
    for result in session.optimizers.values():
        if any(group.per_param for group in result.groups):
            label = f"{result.name} {result.site}" if result.site else result.name
            save(_updates(plt, result, names, thresholds), f"updates-{_slug(label)}")
    return written


def _overfit(plt: Any, result: Any) -> Any:
    figure, axes = plt.subplots(figsize=(6.4, 4))
    real = result.real
    axes.plot(real.losses, label="real inputs", color="tab:blue")
    if result.zeroed is not None:
        axes.plot(result.zeroed.losses, label="zeroed inputs", color="tab:orange", linestyle="--")
    axes.axhline(real.floor, color="gray", linewidth=0.8, label=f"floor {real.floor:.3g}")
    axes.set(
        xlabel="Adam step", ylabel="loss", title=f"{result.name}: memorising a few samples of the first batch"
    )
    axes.legend()
    return figure


def _activations(plt: Any, result: Any, thresholds: Thresholds) -> Any:
    layers = result.layers
    figure, axes = plt.subplots(figsize=(7, 1.2 + 0.35 * len(layers)))
    colors = ["tab:red" if layer.kind == "relu" else "tab:purple" for layer in layers]
    labels = [f"{layer.name}: {layer.units} {layer.kind}" for layer in layers]
    axes.barh(range(len(layers)), [layer.share for layer in layers], color=colors)
    axes.set_yticks(range(len(layers)), labels)
    axes.invert_yaxis()
    axes.axvline(thresholds.dead_share, color="black", linestyle=":", label="threshold")
    axes.set(
        xlim=(0, 1),
        xlabel="share of units dead (relu) or saturated (tanh/sigmoid) on the first batch",
        title=f"{result.name}: units switched off at initialisation",
    )
    axes.legend(loc="lower right")
    return figure


def _updates(plt: Any, result: Any, names: dict[int, Any], thresholds: Thresholds) -> Any:
    rows = [
        (names[key].name if key in names else f"group {group.index} param", ratio)
        for group in result.groups
        for key, ratio in group.per_param.items()
    ]
    figure, axes = plt.subplots(figsize=(7, 1.2 + 0.3 * len(rows)))
    axes.barh(range(len(rows)), [max(ratio, 1e-12) for _, ratio in rows], color="tab:green")
    axes.set_yticks(range(len(rows)), [name for name, _ in rows])
    axes.invert_yaxis()
    axes.set_xscale("log")
    axes.axvspan(thresholds.update_ratio_low, thresholds.update_ratio_high, color="tab:green", alpha=0.08)
    axes.axvline(1e-3, color="black", linestyle=":", label="1e-3 (CS231n)")
    axes.set(
        xlabel="||update|| / ||weight|| at the first step (shaded: accepted band)",
        title=f"{result.name}: how far one step moves",
    )
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    return figure


def _dependency(plt: Any, name: str, matrix: Any) -> Any:
    figure, axes = plt.subplots(figsize=(5.5, 4.5))
    image = axes.imshow(matrix, cmap="Reds")
    axes.set(
        xlabel="input sample j",
        ylabel="output sample i",
        title=f"{name}\nhow much output i depends on input j",
    )
    figure.colorbar(image, ax=axes, label="relative to the sample's own input (1 on the diagonal)")
    return figure
