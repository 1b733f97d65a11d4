"""Everything the engine knows about one file, computed at most once and only when a rule asks.

A rule receives a FileContext and asks it questions: what does this name refer to, which names hold an
optimizer, what happens in one iteration of the training loop. The parse and the index walk are paid for
every file; every other analysis is a cached property, so a file whose rules never ask about loops never
pays for the loop analysis.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import libcst as cst

from nnlint.engine.index import TreeIndex
from nnlint.engine.names import ImportTable, dotted_name
from nnlint.engine.project import STORE, ProjectView, flat_torch_importer, package_torch_module, real_path
from nnlint.vocabulary import LIBRARY_PREFIXES

if TYPE_CHECKING:
    from nnlint.engine.accumulation import GradientAccumulation
    from nnlint.engine.activations import ActivationFlow
    from nnlint.engine.bindings import FileBindings
    from nnlint.engine.data_loading import DataLoading
    from nnlint.engine.device import DeviceUse
    from nnlint.engine.entry import EntryPoints
    from nnlint.engine.evaluation import Evaluation
    from nnlint.engine.grad_mode import GradMode
    from nnlint.engine.gradflow import GradientFlow
    from nnlint.engine.layers import LayerChains
    from nnlint.engine.lightning import LightningModules
    from nnlint.engine.loops import TrainingLoops
    from nnlint.engine.modes import ModeSimulation
    from nnlint.engine.randomness import RandomnessMemo
    from nnlint.engine.roles import Roles
    from nnlint.engine.shapes import ShapeFacts
    from nnlint.engine.summaries import FunctionSummaries


class FileContext:
    """One parsed file and the analyses rules share."""

    def __init__(self, path: str, source: str, module: cst.Module) -> None:
        self.path = path
        self.source = source
        self.module = module
        self.index = TreeIndex(module)
        self._callees: dict[cst.Call, str | None] = {}
        # Files that never mention torch skip every rule that declares `needs_torch` (see `uses_torch`). A
        # trainer module that gets everything torch from its project (OpenNMT's trainer.py imports no
        # torch) still says `zero_grad(` or `.backward(`.
        self.mentions_torch = "torch" in source or "zero_grad(" in source or ".backward(" in source
        # Project modules that questions about this file were answered from (see `project.dependencies`).
        self.project_deps: set[Path] = set()

    def release(self) -> None:
        """Drop the analyses computed for this file, once its check is done.

        Each analysis points back at its context (`self._ctx`), so a context that keeps its analyses is
        a reference cycle, and its whole tree outlived the check until Python's cyclic collector found it:
        every checked file's tree went to the oldest generation, whose collections then walked them all
        (a third of check_bench's cost beyond the parse was the collector). Without the analyses the
        context and its tree are freed as soon as the check lets go of them. Each analysis is a cached
        property: should anything still ask, it is computed again. The bound-names table, which keeps the
        nodes it was asked about, is emptied too."""
        from nnlint.engine.bindings import forget_bound_names

        for name in _ANALYSES:
            self.__dict__.pop(name, None)
        forget_bound_names()

    @cached_property
    def imports(self) -> ImportTable:
        imports, from_imports = self.index.nodes(cst.Import), self.index.nodes(cst.ImportFrom)
        star = any(type(node.names) is cst.ImportStar for node in from_imports)
        return ImportTable(imports, from_imports, self.project.star_imported if star else None)

    def qualified_name(self, expr: cst.BaseExpression) -> str | None:
        """The imported thing an expression names (`F.softmax` -> `torch.nn.functional.softmax`)."""
        return self.imports.qualified_name(expr)

    def callee(self, call: cst.Call) -> str | None:
        """The qualified name of what a call calls, or None for local or unknown callees.

        Memoized per call node: most rules ask it of every call, about seven times per call in all.
        """
        try:
            return self._callees[call]
        except KeyError:
            name = self._callees[call] = self.imports.qualified_name(call.func)
            return name

    def callee_in(self, call: cst.Call, names: frozenset[str] | set[str]) -> bool:
        qualified = self.callee(call)
        return qualified is not None and qualified in names

    @staticmethod
    def dotted(expr: cst.BaseExpression) -> str | None:
        return dotted_name(expr)

    @cached_property
    def functions(self) -> dict[str, list[cst.FunctionDef]]:
        """Functions and methods defined in this file, by their bare name."""
        table: dict[str, list[cst.FunctionDef]] = {}
        for node in self.index.nodes(cst.FunctionDef):
            table.setdefault(node.name.value, []).append(node)
        return table

    def enclosing_function(self, node: cst.CSTNode) -> cst.FunctionDef | None:
        return self.index.enclosing(node, cst.FunctionDef)

    def enclosing_class(self, node: cst.CSTNode) -> cst.ClassDef | None:
        return self.index.enclosing(node, cst.ClassDef)

    def base_names(self, cls: cst.ClassDef) -> list[str]:
        """Qualified (or, for local classes, dotted) names of a class's bases."""
        names = []
        for base in cls.bases:
            name = self.qualified_name(base.value) or dotted_name(base.value)
            if name:
                names.append(name)
        return names

    def line_text(self, row: int) -> str:
        lines = self.source_lines
        return lines[row - 1] if 0 < row <= len(lines) else ""

    @cached_property
    def source_lines(self) -> list[str]:
        return self.source.splitlines()

    # The analyses below live in their own modules; each is computed on first use.

    @cached_property
    def real_path(self) -> Path | None:
        """The file on disk (None for sources that are no file); project imports resolve from its folder.
        Set directly for project modules, which the module store reads from a known path."""
        return real_path(self.path)

    @cached_property
    def uses_torch(self) -> bool:
        """Whether torch rules apply: the file mentions torch, or it is a module of a package another of
        whose modules does, or a module of a flat folder that a torch module beside it imports. A
        package's (or a flat project's) utils.py may run and evaluate the models train.py hands it
        without ever importing torch itself. (A cached result of a file in a package with no torch at all
        is not rechecked when a sibling starts to mention torch: that file's own edit rechecks it.)"""
        if self.mentions_torch:
            return True
        path = self.real_path
        found = package_torch_module(path.parent) if path is not None else None
        if found is None and path is not None:
            found = flat_torch_importer(path)  # a flat project's utils.py that train.py imports
        if found is None:
            return False
        self.project_deps.add(found)  # the cached result holds only while that module mentions torch
        return True

    @cached_property
    def runs_project_torch(self) -> bool:
        """Whether torch rules apply, or the file imports a project module that mentions torch: a flat
        folder's `train.py` that builds and trains the networks of `agent.py`/`models.py` without naming
        torch itself. For the rules that follow the project's code into those modules (NN301); the
        modules are looked at as text, and only for files that do not mention torch."""
        if self.uses_torch:
            return True
        if self.real_path is None:
            return False
        imports_project = False
        for qualified in {*self.imports.aliases.values(), *self.imports.star_modules}:
            if f"{qualified}.".startswith(LIBRARY_PREFIXES):
                continue
            found = self.project.find(qualified)
            text = STORE.text(found[0]) if found is not None else None
            if text is not None and b"torch" in text:
                self.project_deps.add(found[0])  # the answer holds while that module mentions torch
                return True
            imports_project |= text is not None
        return imports_project and self._project_trains_torch()

    def _project_trains_torch(self) -> bool:
        """Whether some module of the project names torch and backpropagates: a script whose imported
        project modules reach torch only further down (CRSLab's `run_crslab.py` imports `crslab.quick_start`,
        whose `run_crslab` builds the configured system of `crslab/system/`, where torch and `backward()`
        are). One recorded text search of the project, asked only of files that do not name torch and
        import a project module that does not either, in a project of at most `LARGE_PROJECT_FILES`
        Python files."""
        from nnlint.engine.project import LARGE_PROJECT_FILES, paths_mentioning

        # Not in a project of more than `LARGE_PROJECT_FILES` files: fairseq's 19 scripts that never name
        # torch would all be followed deep into the project (rerank.py alone 10 s), for no finding.
        return bool(paths_mentioning(self, "torch", ".backward(", max_files=LARGE_PROJECT_FILES))

    @cached_property
    def project(self) -> ProjectView:
        return ProjectView(self)

    @cached_property
    def bindings(self) -> FileBindings:
        from nnlint.engine.bindings import FileBindings

        return FileBindings(self)

    @cached_property
    def activations(self) -> ActivationFlow:
        from nnlint.engine.activations import ActivationFlow

        return ActivationFlow(self)

    @cached_property
    def roles(self) -> Roles:
        from nnlint.engine.roles import Roles

        return Roles(self)

    @cached_property
    def loops(self) -> TrainingLoops:
        from nnlint.engine.loops import TrainingLoops

        return TrainingLoops(self)

    @cached_property
    def layers(self) -> LayerChains:
        from nnlint.engine.layers import LayerChains

        return LayerChains(self)

    @cached_property
    def shapes(self) -> ShapeFacts:
        from nnlint.engine.shapes import ShapeFacts

        return ShapeFacts(self)

    @cached_property
    def entry(self) -> EntryPoints:
        from nnlint.engine.entry import EntryPoints

        return EntryPoints(self)

    @cached_property
    def gradients(self) -> GradientFlow:
        from nnlint.engine.gradflow import GradientFlow

        return GradientFlow(self)

    @cached_property
    def evaluation(self) -> Evaluation:
        from nnlint.engine.evaluation import Evaluation

        return Evaluation(self)

    @cached_property
    def accumulation(self) -> GradientAccumulation:
        from nnlint.engine.accumulation import GradientAccumulation

        return GradientAccumulation(self)

    @cached_property
    def grad_mode(self) -> GradMode:
        from nnlint.engine.grad_mode import GradMode

        return GradMode(self)

    @cached_property
    def data_loading(self) -> DataLoading:
        from nnlint.engine.data_loading import DataLoading

        return DataLoading(self)

    @cached_property
    def device(self) -> DeviceUse:
        from nnlint.engine.device import DeviceUse

        return DeviceUse(self)

    @cached_property
    def lightning(self) -> LightningModules:
        from nnlint.engine.lightning import LightningModules

        return LightningModules(self)

    @cached_property
    def summaries(self) -> FunctionSummaries:
        from nnlint.engine.summaries import FunctionSummaries

        return FunctionSummaries(self)

    @cached_property
    def modes(self) -> ModeSimulation:
        from nnlint.engine.modes import ModeSimulation

        return ModeSimulation(self)

    @cached_property
    def randomness(self) -> RandomnessMemo:
        from nnlint.engine.randomness import RandomnessMemo

        return RandomnessMemo(self)


# The cached properties of a context, which `FileContext.release` drops.
_ANALYSES = tuple(name for name, value in vars(FileContext).items() if isinstance(value, cached_property))
