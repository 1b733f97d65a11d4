"""`nnlint probe`: run the real model on a small probe batch and settle, with gradients, whether samples mix
across the batch (NN901) and whether a causal model sees the future (NN902).

Nothing here is imported by `nnlint check` unless a probe is asked for: torch is an optional extra, and this
package's `__init__` must stay torch-free because the CLI loads `nnlint.probe.command` on every invocation.

The package shares its name with the public function `nnlint.probe(model, inputs, ...)`: once any submodule is
imported, Python binds the attribute `nnlint.probe` to this package, so the package itself is made callable
and forwards the call to `nnlint.probe.api.probe`.
"""

from __future__ import annotations

import sys
import types
from typing import Any


class _CallablePackage(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from nnlint.probe.api import probe

        return probe(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
