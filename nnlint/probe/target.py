"""What to probe: load a factory named `path/to/file.py:build` or `package.module:build`, call it, and
normalise whatever it returns into one `ProbeSpec`.

A factory may return a model, `(model, inputs)`, or a dict with `model`, `inputs` and optionally `batch_dim`,
`time_dim`, `causal` and `shift`. Flags given on the command line override what the factory says.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from nnlint.probe.errors import ProbeError
from nnlint.runtime.frames import Frame, SiteMap, recording_sites

_SPEC_KEYS = {"model", "inputs", "batch_dim", "time_dim", "causal", "shift", "causal_inputs"}
# Keyword inputs that are autoregressive in Hugging Face encoder-decoders (T5, BART, Whisper): the decoder's.
# The encoder's inputs are context the output may see whole.
DECODER_INPUTS = ("decoder_input_ids", "decoder_inputs_embeds", "labels")


@dataclass
class ProbeSpec:
    """A model and an example batch, plus what the dims of that batch mean.

    `shift` says how far ahead a causal output may look: output t may depend on inputs up to t + shift
    (0 for "logits[t] predict token t+1", -1 when output t must not even see input t).
    """

    model: nn.Module
    args: tuple[Any, ...] | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    batch_dim: int = 0
    time_dim: int = 1
    causal: bool = False
    shift: int = 0
    name: str = "model"
    # Positions or keyword names of the autoregressive inputs; None: every timed input (or, for an HF
    # encoder-decoder called with `decoder_input_ids`, the decoder's inputs). The others are context.
    causal_inputs: tuple[int | str, ...] | None = None
    # The user's line that built the model: where a finding goes when the leak shows only inside installed
    # code (a Hugging Face layer), which is then named as related context. And per module, the user's line
    # that set each buffer (frames.wrap_register_buffer), so a mask replaced after construction is blamed
    # where it was replaced, not where its class built a correct one.
    built_at: Frame | None = None
    buffer_sites: SiteMap | None = None

    def autoregressive(self) -> tuple[int | str, ...] | None:
        """The causal inputs, recognising HF encoder-decoders when nobody said."""
        if self.causal_inputs is not None:
            return self.causal_inputs
        decoder = tuple(name for name in DECODER_INPUTS if name in self.kwargs)
        if any(name.startswith("decoder_") for name in decoder):
            return decoder
        return None


def load_factory(target: str) -> Callable[[], Any]:
    """Import the callable a TARGET string names; `:build` is assumed when no attribute is given."""
    where, _, attr = target.rpartition(":") if ":" in target else (target, ":", "build")
    attr = attr or "build"
    if not where:
        raise ProbeError(f"The target '{target}' names no file or module: give path/to/model.py:{attr}.")
    if where.endswith(".py") or Path(where).exists():
        module = _import_file(Path(where))
    else:
        try:
            module = importlib.import_module(where)
        except SystemExit as exit_:
            raise _exited(f"Importing module '{where}'", exit_) from exit_
        except Exception as error:  # the user's module may raise anything while importing
            raise ProbeError(
                f"Could not import module '{where}' named by the target '{target}': "
                f"{type(error).__name__}: {error}. Give a file path (path/to/model.py:build) or an "
                "importable module (package.module:build)."
            ) from error
    factory = getattr(module, attr, None)
    if factory is None or not callable(factory):
        raise ProbeError(
            f"'{where}' has no callable named '{attr}'. The target must name a factory function, e.g. "
            f"'{where}:build', that returns a model, (model, inputs) or a dict with 'model' and 'inputs'."
        )
    return factory


def _import_file(path: Path) -> Any:
    """Import a .py file under a private module name, with its folder importable for sibling imports."""
    if not path.is_file():
        raise ProbeError(f"Cannot find the file '{path}' named by the target.")
    path = path.resolve()
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:8]
    name = f"_nnlint_probe_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ProbeError(f"Cannot import '{path}' as a Python module.")
    module = importlib.util.module_from_spec(spec)
    # Registered before executing so dataclasses and pickling inside the file can find their module.
    sys.modules[name] = module
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    except SystemExit as exit_:
        del sys.modules[name]
        raise _exited(f"Importing '{path}'", exit_) from exit_
    except Exception as error:
        del sys.modules[name]
        raise ProbeError(
            f"Importing '{path}' raised {type(error).__name__}: {error}. Fix the error (run the file with "
            "python to see it) and probe again."
        ) from error
    finally:
        sys.path.remove(str(path.parent))
    return module


def _exited(doing: str, exit_: SystemExit) -> ProbeError:
    """A target that ends the program (sys.exit, argparse on unknown arguments) built no model: an error,
    never the probe's own exit status (`sys.exit(0)` would read as a clean probe)."""
    return ProbeError(
        f"{doing} called sys.exit({exit_.code!r}) instead of returning. The target must build the model "
        "without ending the program; keep a script's command-line handling under `if __name__ == "
        "'__main__':`."
    )


def build_spec(target: str) -> ProbeSpec:
    """Call the factory a TARGET names and normalise its result."""
    factory = load_factory(target)
    modules, buffers = SiteMap(), SiteMap()
    try:
        with recording_sites(modules, buffers):
            built = factory()
    except SystemExit as exit_:
        raise _exited(f"The factory '{target}'", exit_) from exit_
    except Exception as error:
        raise ProbeError(
            f"The factory '{target}' raised {type(error).__name__}: {error}. It must build the model "
            "without arguments."
        ) from error
    spec = normalise(built, name=target)
    site = modules.get(spec.model)
    return replace(spec, built_at=(site.filename, site.line) if site else None, buffer_sites=buffers)


def normalise(built: Any, name: str = "model") -> ProbeSpec:
    """Turn a model, `(model, inputs)` or a dict into a ProbeSpec, rejecting anything else in plain words."""
    if isinstance(built, nn.Module):
        return ProbeSpec(model=built, name=name)
    if isinstance(built, (tuple, list)) and len(built) == 2 and isinstance(built[0], nn.Module):
        args, kwargs = normalise_inputs(built[1])
        return ProbeSpec(model=built[0], args=args, kwargs=kwargs, name=name)
    if isinstance(built, dict) and isinstance(built.get("model"), nn.Module):
        unknown = set(built) - _SPEC_KEYS
        if unknown:
            raise ProbeError(
                f"The factory's dict has unknown keys {sorted(unknown)}; allowed: {sorted(_SPEC_KEYS)}."
            )
        spec = ProbeSpec(model=built["model"], name=name)
        if built.get("inputs") is not None:
            spec.args, spec.kwargs = normalise_inputs(built["inputs"])
        return override(
            spec,
            batch_dim=built.get("batch_dim"),
            time_dim=built.get("time_dim"),
            causal=built.get("causal"),
            shift=built.get("shift"),
            causal_inputs=_causal_inputs(built.get("causal_inputs")),
        )
    raise ProbeError(
        f"The factory returned {_describe(built)}; expected an nn.Module, a (model, inputs) pair, or a dict "
        "with 'model' and 'inputs' (optionally 'batch_dim', 'time_dim', 'causal', 'shift', 'causal_inputs')."
    )


def normalise_inputs(inputs: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Inputs are a tensor, a tuple/list of positional arguments, or a dict of keyword arguments."""
    if isinstance(inputs, torch.Tensor):
        return (inputs,), {}
    if isinstance(inputs, dict):
        args: tuple[Any, ...] = ()
        kwargs = dict(inputs)
    elif isinstance(inputs, (tuple, list)):
        args, kwargs = tuple(inputs), {}
    else:
        raise ProbeError(
            f"The inputs are {_describe(inputs)}; expected a tensor, a tuple of tensors or a dict of tensors."
        )
    if not any(isinstance(value, torch.Tensor) for value in (*args, *kwargs.values())):
        raise ProbeError("The inputs contain no tensor; the probe needs at least one batched input tensor.")
    return args, kwargs


def _causal_inputs(value: Any) -> tuple[int | str, ...] | None:
    if value is None:
        return None
    values = (value,) if isinstance(value, (int, str)) else value
    if not isinstance(values, (tuple, list)) or not all(isinstance(v, (int, str)) for v in values):
        raise ProbeError(
            f"causal_inputs must be input positions or keyword names (e.g. [1] or ['tgt']), not {value!r}."
        )
    return tuple(values)


def override(spec: ProbeSpec, **values: Any) -> ProbeSpec:
    """A copy of `spec` with every value that is not None replacing the spec's own."""
    return replace(spec, **{key: value for key, value in values.items() if value is not None})


def synthetic_inputs(
    shapes: Sequence[Sequence[int]], dtype: str | None, vocab_size: int | None
) -> tuple[torch.Tensor, ...]:
    """Random inputs for a factory that returned only a model: floats, or token ids below `vocab_size`."""
    if vocab_size is not None and vocab_size < 1:
        raise ProbeError(f"--vocab-size must be at least 1, not {vocab_size}.")
    torch_dtype = _dtype(dtype or ("int64" if vocab_size else "float32"))
    generator = torch.Generator().manual_seed(0)
    tensors = []
    for shape in shapes:
        if torch_dtype.is_floating_point:
            tensors.append(torch.randn(tuple(shape), generator=generator).to(torch_dtype))
        elif vocab_size is None:
            raise ProbeError(f"Integer inputs ({dtype}) need --vocab-size so token ids stay in range.")
        else:
            tensors.append(torch.randint(0, vocab_size, tuple(shape), generator=generator, dtype=torch_dtype))
    return tuple(tensors)


def _dtype(name: str) -> torch.dtype:
    value = getattr(torch, name.removeprefix("torch."), None)
    if not isinstance(value, torch.dtype):
        raise ProbeError(
            f"Unknown --dtype '{name}'; use a torch dtype name such as float32, bfloat16 or int64."
        )
    return value


def _describe(value: Any) -> str:
    kind = type(value).__name__
    article = "an" if kind[:1].lower() in "aeiou" else "a"  # "an int", "an object", "a str"
    if isinstance(value, (tuple, list)):
        return f"a {kind} of {len(value)} items ({', '.join(type(v).__name__ for v in value)})"
    return f"{article} {kind}"
