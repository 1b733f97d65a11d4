"""Shapes we can know: which dims of which tensor a `view`/`reshape` lists, and in what order.

`b, c, h, w = x.shape` names the dims of `x`; `x.size(1)`, `x.shape[-1]` and `s[0]` (with `s = x.size()`)
name one of them. A `view`/`reshape` of `x` whose sizes list those dims in another order than `x` stores
them (`x.view(b, h, w, c)`) is a transpose done by reshaping: it keeps the memory order and silently moves
data across dims. One that keeps the order, merging or splitting neighbours (`x.view(b, c * h * w)`,
`x.view(b, t, nh, hd)`), is fine.

Each dim fact is tied to one tensor *value* (a "base"), not to a name: a value gets a base when its dims are
first named, and a layout (which base dim each position holds) follows it through `permute`, `transpose`
and layout-keeping operations (`contiguous`, elementwise functions, norms, convolutions, linear layers)
into the names it is assigned to. Any other assignment forgets what a name held. Statements are followed in
order within one function; a name that an `if` branch or a loop body changes is known afterwards only when
every path agrees. Whatever cannot be followed is unknown, and unknown means silent.

Layouts are also made, not only read: a `view`/`reshape` result holds the named dims it keeps in place and
new dims where it splits or merges (`x.view(B, T, nh, hd)` holds B and T, then two parts of C); a tensor
made by `torch.zeros(nh, B, T, d)` holds the dims its sizes name; `matmul`/`bmm`/`@` keep their operands'
batch dims, the rows of the left and the columns of the right; and a call of a function of the same module
(or a method of the same class) returns the layout its `return` gives for the layouts passed in. A reshape
that places a named dim after skipping a dim that an earlier reshape split off (the heads of
`view(B, T, nh, hd)`) moves that split part behind it: a reorder too, and so is one whose last size ends
before split-off parts stored after it. Sizes between two sizes of known place cover the dims between them
(`reshape(B, -1, self.dim_head, H * W)` of a (B, C, H, W) tensor splits C into two parts, and a later size
naming C covers where those parts went); `flatten(start, end)` merges the dims it flattens, an
`nn.Embedding` appends a dim to its input's, a reduction along one dim keeps it as a size-1 dim with
`keepdim=True` and drops it otherwise, and `self.proj(x).view(-1, self.h, self.d)` with `self.proj =
nn.Linear(d_in, h * d)` keeps x's first dim in front (the other sizes split the projection's last dim).

Attention code moves heads through the batch dim, helpers and submodules, so layouts also follow:
- merged dims: a size that covers several neighbouring dims (`view(B * nh, T, hd)`, or a -1 between known
  sizes) makes a dim that remembers its parts, outermost first, and `x.repeat(n, 1, 1)` merges a new part
  of `n` copies outside the first dim; sizes name parts of merged dims, so `view(nh, B, ...)` of a
  `B * nh` merge is a reorder;
- spelled dims: a dim made for a size written as a name (`self.n_heads`, `h`) is named again by a size
  spelled the same (`B * self.n_heads`), and counts as a split-off part;
- equal dims across tensors: `bmm`/`matmul` operands share their batch dims, and a view of one tensor
  sized by another's dims (`q.view(B, T, nh, hd)` with `B, T` read off `x`) holds dims of those sizes;
  such dims are kept in classes of equal dims, so a size read off `v` names the batch dim of `attn @ v`;
- the `forward` of a project submodule whose every binding builds one class is followed like a method;
- after an `if`, facts known on some branches and agreed on by those are kept: a view that scrambles data
  on the paths where its source is known is a bug on those paths (layouts that differ keep only the
  positions that agree).

Rank need not be known to know the last dim: `y.transpose(1, -1)` (or `movedim(1, -1)`) stores dim 1 after
every other (`Layout.last`). What cannot be placed stays unknown: two sizes naming the same dims, a name
unpacked twice, size-1 dims (a `1` viewed in, a width-1 linear output, a keepdim reduction) wherever they
move, and dims of unknown size (made by a `-1`) that a `-1` covers behind a named size.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING

import libcst as cst

from nnlint import vocabulary as vocab
from nnlint.engine.bindings import reaching_value, submodule_forward
from nnlint.engine.index import walk
from nnlint.engine.names import call_argument, dotted_name
from nnlint.engine.project import Resolved

if TYPE_CHECKING:
    from nnlint.engine.context import FileContext


_SCOPES = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp, cst.Lambda)
# Dims that nothing in the code names get indices from here on, far above any rank.
_FRESH_START = 1_000_000
# Stands, while sizes are placed, for the position of a layout's known last dim (`Layout.last`).
_LAST = -1
# Joins along one dim: every other position keeps its dim.
# How deep calls of same-module functions are followed to learn the layout they return.
_MAX_CALL_DEPTH = 3


@dataclass(frozen=True)
class DimRef:
    """One dim of one tensor value: `index` counts in the value's own order when its dims were named."""

    base: int
    index: int


@dataclass(frozen=True)
class Layout:
    """Which base dim each position of a tensor holds: `order[p]` is the base index at position p.

    With `rank_known` false, the tensor may have more positions than `order` lists, each holding the base
    dim of the same index (a tensor seen only through `x.size(1)` is stored in its own order), except that
    `last`, when set, is the dim stored last (`y.transpose(1, -1)` of a tensor of unknown rank moves dim 1
    behind every other; which dim the positions after `order` then hold is unknown).
    """

    base: int
    order: tuple[int, ...] = ()
    rank_known: bool = False
    last: int | None = None

    def extended(self, rank: int) -> Layout | None:
        """The same layout with its rank fixed, or None when `rank` contradicts it."""
        if self.rank_known:
            return self if rank == len(self.order) else None
        if self.last is not None:
            if rank <= len(self.order):
                return None
            middle = tuple(range(len(self.order), rank - 1))
            return Layout(self.base, (*self.order, *middle, self.last), True)
        if rank < len(self.order):
            return None
        return Layout(self.base, self.order + tuple(range(len(self.order), rank)), True)

    def dim_at(self, position: int) -> int | None:
        """The base dim at a (possibly negative) position."""
        if position < 0:
            if position == -1 and self.last is not None:
                return self.last
            if not self.rank_known or -position > len(self.order):
                return None
            return self.order[position]
        if position < len(self.order):
            return self.order[position]
        return None if self.rank_known or self.last is not None else position

    def position_of(self, index: int) -> int | None:
        if index in self.order:
            return self.order.index(index)
        if self.last is not None:
            return None  # the last dim's place is only known relative to the others (`_positions`)
        return None if self.rank_known or index < len(self.order) else index

    def without(self, position: int) -> Layout | None:
        """The layout after one position is indexed away (`t[0]`, `t.unbind(0)`); rank must be known."""
        if not self.rank_known or not -len(self.order) <= position < len(self.order):
            return None
        order = list(self.order)
        del order[position]
        return Layout(self.base, tuple(order), True)

    def permuted(self, dims: list[int]) -> Layout | None:
        rank = len(dims)
        full = self.extended(rank)
        normal = [d + rank if d < 0 else d for d in dims]
        if full is None or sorted(normal) != list(range(rank)):
            return None
        return Layout(self.base, tuple(full.order[d] for d in normal), True)

    def transposed(self, first: int, second: int) -> Layout | None:
        if self.last is not None and max(first, second) >= len(self.order):
            return None  # where the listed positions end and the last one begins is unknown
        if min(first, second) < 0:
            if not self.rank_known:
                return None
            first, second = first % len(self.order), second % len(self.order)
        full = (
            self
            if self.rank_known
            else replace(self, order=self.order + tuple(range(len(self.order), max(first, second) + 1)))
        )
        if max(first, second) >= len(full.order):
            return None
        order = list(full.order)
        order[first], order[second] = order[second], order[first]
        return replace(full, order=tuple(order))


class SizeKind(Enum):
    WILDCARD = "-1"
    DIMS = "dims"  # one dim, or the product of several
    SPLIT = "split"  # a part of one dim (`c // g`)
    # A product of dims and of names that may size dims made earlier (`B * self.n_heads`): DIMS once every
    # name is found in the layout it is matched against, else UNKNOWN.
    SPELLED = "spelled"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SizeArg:
    """What one size argument of a view/reshape stands for."""

    kind: SizeKind
    dims: frozenset[DimRef] = frozenset()
    divisor: str | None = None  # for a split `c // g`: the source text of `g`
    spelled: tuple[str, ...] = ()  # for SPELLED: the names of the factors that are no known dims


@dataclass(frozen=True)
class ViewFacts:
    """A view/reshape whose receiver has a known layout, with the positions each size argument covers."""

    call: cst.Call
    receiver: cst.BaseExpression
    sizes: tuple[cst.BaseExpression, ...]
    # Receiver positions per size argument; None where unknown (a literal, a split of -1 not inferable).
    positions: tuple[frozenset[int] | None, ...]
    # Receiver positions holding a part that an earlier reshape split off a dim (the heads of a split).
    split_parts: frozenset[int] = frozenset()
    # The receiver's (flat) rank, when known.
    rank: int | None = None
    # Per size argument: whether it names dims of known tensors none of which the receiver is known to hold
    # (`n` read off the input, viewing a bmm result whose rows came from an unknown operand).
    unplaced: tuple[bool, ...] = ()
    # Receiver positions holding a size-1 dim (left by a `keepdim=True` reduction or viewed in as a `1`).
    ones: frozenset[int] = frozenset()
    # Receiver positions holding a dim of unknown size that no size names (made for a `-1`, a bmm's columns
    # from an operand seen only as a name): a size naming another dim may equal it by value.
    vague: frozenset[int] = frozenset()
    # Which size arguments are the `-1`.
    wildcards: frozenset[int] = frozenset()
    # `view(B * self.h, -1, self.d)` of a projection `nn.Linear(d_in, h * d)`: the heads, a part of the last
    # dim, put in front of the positions (see `ShapeFacts._heads_ahead_of_positions`).
    heads_ahead: bool = False

    @property
    def reorders(self) -> bool:
        """Whether a later size argument covers a dim stored before one an earlier argument covers, or
        places a dim after skipping a split-off part that must then come behind it."""
        if self.heads_ahead:
            return True
        # A size-1 dim may move anywhere, and a -1 that covers a dim of unknown size behind a named one may
        # stand for that named one instead (`l_neg.view(-1, npatches)` of a (B, N, N) bmm result).
        known = [
            p - self.ones - (self.vague if i in self.wildcards else frozenset())
            for i, p in enumerate(self.positions)
            if p
        ]
        known = [p for p in known if p]
        if len(known) >= 2 and self._disjoint(known):
            if any(min(later) < max(earlier) for earlier, later in itertools.combinations(known, 2)):
                return True
        return self._skips_split_part() or self._leaves_split_part_behind() or self._places_first_late()

    def _places_first_late(self) -> bool:
        """`out.reshape(n, nh, f)` of a (nh, ?, f) bmm result: the size naming the receiver's first dim comes
        after a size naming a dim the receiver is not known to hold. A view keeps the memory order, so sizes
        before the first dim's could only be 1; here every size names a dim, and the placed ones leave a
        receiver dim (no size-1 dim of a keepdim reduction) that only the unplaced sizes can stand for."""
        if self.rank is None or len(self.unplaced) != len(self.positions):
            return False
        first = [i for i, covered in enumerate(self.positions) if covered and min(covered) == 0]
        if not first or first[0] == 0 or not all(self.unplaced[: first[0]]):
            return False
        pairs = zip(self.positions, self.unplaced, strict=True)
        if not all(covered or unplaced for covered, unplaced in pairs):
            return False
        placed = set().union(*(covered for covered in self.positions if covered))
        return bool(set(range(self.rank)) - placed - self.ones)

    def _skips_split_part(self) -> bool:
        """`values.reshape(B, T, -1)` of a (B, nh, T, hd) tensor: T is placed second, but nh, split off by
        an earlier reshape, is stored before it. A skipped dim that is no split part may be a size-1 dim the
        author drops on purpose (`view(b, c, w)` with h == 1), so only split parts count."""
        cursor = 0
        for covered in self.positions:
            if not covered:
                return False  # where an unknown size ends is unknown
            skipped = set(range(cursor, min(covered)))
            if skipped & self.split_parts:
                return True
            if skipped:
                return False
            cursor = max(covered) + 1
        return False

    def _leaves_split_part_behind(self) -> bool:
        """`reshape(B, self.dim_out, H, W)` of a (B, H * W, nh, hd) tensor: the last size ends at H * W,
        so the heads and their width stored after it must be placed before it by an earlier size."""
        last = self.positions[-1] if self.positions else None
        if not last or self.rank is None:
            return False
        return bool(set(range(max(last) + 1, self.rank)) & self.split_parts)

    @staticmethod
    def _disjoint(known: list[frozenset[int]]) -> bool:
        # Splits of one dim list it twice (`view(b, g, c // g)`); equal sets are fine, overlap is not.
        distinct = set(known)
        return sum(len(p) for p in distinct) == len(set().union(*distinct))


# What an assigned value is: a dim, a product of dims, a tensor layout, a shape tuple (`("shape", layout)`),
# or unknown.
_Fact = DimRef | frozenset[DimRef] | Layout | tuple[str, Layout] | None


@dataclass(frozen=True)
class _Several:
    """What a function returns as a tuple (`return values, attn`), one fact per element."""

    facts: tuple[_Fact, ...]


@dataclass
class _Env:
    """What is known at one point of a function: layouts of tensor names, dims, shape tuples."""

    layouts: dict[str, Layout] = field(default_factory=dict)
    dims: dict[str, DimRef] = field(default_factory=dict)
    shapes: dict[str, Layout] = field(default_factory=dict)  # `s = x.shape`: s[i] names dims of x
    products: dict[str, frozenset[DimRef]] = field(default_factory=dict)  # `n = x.size(2) * x.size(3)`

    def copy(self) -> _Env:
        return _Env(dict(self.layouts), dict(self.dims), dict(self.shapes), dict(self.products))

    def forget(self, name: str) -> None:
        self.layouts.pop(name, None)
        self.dims.pop(name, None)
        self.shapes.pop(name, None)
        self.products.pop(name, None)

    @staticmethod
    def agreed(envs: list[_Env]) -> _Env:
        """Facts every path agrees on."""
        first, rest = envs[0], envs[1:]
        return _Env(
            *(
                {
                    k: v
                    for k, v in getattr(first, part).items()
                    if all(getattr(e, part).get(k) == v for e in rest)
                }
                for part in ("layouts", "dims", "shapes", "products")
            )
        )


class ShapeFacts:
    """Layouts and dim names per function, computed only for functions that call view/reshape."""

    def __init__(self, ctx: FileContext) -> None:
        self._ctx = ctx
        self._bases = itertools.count()
        self._fresh = itertools.count(_FRESH_START)
        self._split_parts: set[int] = set()  # fresh dims that are parts of a split, by index
        self._ones: set[int] = set()  # fresh dims of size 1 (a `keepdim=True` reduction, a `1` viewed in)
        self._vague: set[int] = set()  # fresh dims a `-1` made whose size nothing names
        # A dim that a reshape split into several fresh parts (`reshape(B, nh, C // nh, H * W)` splits C):
        # the parts, outermost first, keyed by the base and index of the dim split; a later size naming
        # the whole dim (`reshape(B, C, H, W)`) covers where the parts are then.
        self._split_into: dict[tuple[int, int], tuple[int, ...]] = {}
        # A fresh dim that holds several merged dims (`view(B * nh, T, hd)`, `repeat(nh, 1, 1)`): its parts,
        # outermost first, in the base of the layout it was made in.
        self._merged: dict[int, tuple[int, ...]] = {}
        # Fresh dims made for a size spelled by a name (`self.n_heads`, `h`): a later size spelled the same
        # names that dim again.
        self._spelled: dict[int, str] = {}
        # Dims known to be equal in size and place (`bmm` pairs its operands' batch dims; a view of another
        # tensor sized by `x.size(0)` holds a dim of x): one class per set, keyed as `_key` says.
        self._same: dict[object, object] = {}
        self._carried: dict[tuple[int, int], int] = {}  # a base dim carried into another base's layout
        self._merges: dict[tuple[int | None, tuple[int, ...]], int] = {}
        self._spellings: dict[cst.BaseExpression, str] = {}
        self._submodules: dict[tuple[cst.ClassDef, str, FileContext], Resolved | None] = {}
        # While a called function is followed for its return layout: its returns, and the calls on the way.
        self._returns: list[list[_Fact | _Several]] = []
        self._following: list[cst.FunctionDef] = []
        self._followed_results: dict[tuple[cst.FunctionDef, tuple], _Fact | _Several] = {}
        self._facts: dict[cst.Call, ViewFacts] = {}
        self._calls_by_statement: dict[cst.CSTNode, list[cst.Call]] = {}
        scopes: set[cst.CSTNode] = set()
        for call in ctx.index.nodes(cst.Call):
            if self.is_view_call(call):
                statement = ctx.index.statement_of(call)
                self._calls_by_statement.setdefault(statement, []).append(call)
                scopes.add(ctx.enclosing_function(call) or ctx.module)
        for scope in scopes:
            if isinstance(scope, cst.FunctionDef):
                self._suite(scope.body, _Env())
            elif isinstance(scope, cst.Module):
                self._block(scope.body, _Env())

    # -- queries ---------------------------------------------------------------------------------

    def is_view_call(self, call: cst.Call) -> bool:
        """`x.view(...)`, `x.reshape(...)` or `torch.reshape(x, ...)`."""
        if self._ctx.callee_in(call, vocab.RESHAPE_FUNCTIONS):
            return True
        return (
            type(call.func) is cst.Attribute
            and call.func.attr.value in vocab.VIEW_METHODS
            and self._ctx.qualified_name(call.func) is None  # `np.reshape` is no tensor method
        )

    def view(self, call: cst.Call) -> ViewFacts | None:
        """What is known about a view/reshape call's sizes; None when no size names a dim of its receiver."""
        return self._facts.get(call)

    def output_width(self, expr: cst.BaseExpression) -> int | None:
        """The literal feature width of what a layer call returns: `self.head(x)` with `nn.Linear(d, 1)` -> 1.

        Linear and Conv layers give their output width; a Sequential gives the width of its last such layer
        (activations and dropout after it keep the width). None when the call is no such layer or the width
        is not a literal.
        """
        if not isinstance(expr, cst.Call):
            return None
        layer = self._ctx.layers.layer_of(expr.func)
        if layer is None:
            return None
        if layer.kind != "torch.nn.Sequential":
            return _width(layer.kind, layer.constructor)
        for arg in reversed(layer.constructor.args):
            inner = self._ctx.layers.layer_of(arg.value) if arg.keyword is None else None
            if inner is None:
                return None
            if inner.kind.rsplit(".", 1)[-1] not in vocab.WIDTH_KEEPING_LAYERS:
                return _width(inner.kind, inner.constructor)
        return None

    # -- statements ------------------------------------------------------------------------------

    def _block(self, statements: list[cst.BaseStatement] | tuple, env: _Env) -> _Env:
        for statement in statements:
            env = self._statement(statement, env)
        return env

    def _suite(self, suite: cst.BaseSuite, env: _Env) -> _Env:
        if isinstance(suite, cst.IndentedBlock):
            return self._block(suite.body, env)
        return self._block([suite], env)  # SimpleStatementSuite: `if c: x = y`

    def _statement(self, statement: cst.CSTNode, env: _Env) -> _Env:
        if not self._following:  # a followed call sees its own arguments: its views are judged on their own
            for call in self._calls_by_statement.get(statement, ()):
                self._record(call, env)
        if isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            for small in statement.body:
                self._small_statement(small, env)
            return env
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            env.forget(statement.name.value)  # a nested scope is analysed on its own
            return env
        if isinstance(statement, cst.If):
            guarded = env.copy()
            for name in _names_with_a_unit_dim(statement.test):
                # A dim of size 1 can move anywhere without scrambling anything (fairseq's ONNX branch,
                # `if attn.size(1) == 1: attn.view(tgt_len, bsz, d)`): the layout says nothing here.
                guarded.forget(name)
            branches = [self._suite(statement.body, guarded)]
            if isinstance(statement.orelse, cst.If):
                branches.append(self._statement(statement.orelse, env.copy()))
            elif isinstance(statement.orelse, cst.Else):
                branches.append(self._suite(statement.orelse.body, env.copy()))
            else:
                branches.append(env)
            return self._joined(branches)
        if isinstance(statement, (cst.For, cst.While)):
            if isinstance(statement, cst.For):
                self._forget_target(statement.target, env)
            # Facts at the top of the body must hold on every iteration: keep what one pass leaves unchanged.
            once = self._suite(statement.body, env.copy())
            entry = _Env.agreed([env, once])
            after = self._suite(statement.body, entry.copy())
            return _Env.agreed([entry, after])
        if isinstance(statement, cst.With):
            for item in statement.items:
                if item.asname is not None:
                    self._forget_target(item.asname.name, env)
            return self._suite(statement.body, env)
        if isinstance(statement, cst.Try):
            body = self._suite(statement.body, env)
            paths = [body, *(self._suite(h.body, env.copy()) for h in statement.handlers)]
            return _Env.agreed(paths)
        return _Env()  # match statements and the rare rest: know nothing afterwards

    def _small_statement(self, small: cst.BaseSmallStatement, env: _Env) -> None:
        if isinstance(small, cst.Assign):
            if len(small.targets) == 1:
                self._assign(small.targets[0].target, small.value, env)
            else:
                for target in small.targets:
                    self._forget_target(target.target, env)
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            self._assign(small.target, small.value, env)
        elif isinstance(small, cst.AugAssign) and isinstance(small.target, cst.Name):
            # `x += r` keeps a tensor's layout, but `h //= 2` is no longer the dim it named.
            env.dims.pop(small.target.value, None)
            env.shapes.pop(small.target.value, None)
            env.products.pop(small.target.value, None)
        elif isinstance(small, cst.Del):
            self._forget_target(small.target, env)
        elif isinstance(small, cst.Return) and self._returns:
            value = small.value
            if isinstance(value, cst.Tuple):
                facts = tuple(self._value_facts(element.value, env) for element in value.elements)
                self._returns[-1].append(_Several(facts))
            else:
                self._returns[-1].append(self._value_facts(value, env) if value is not None else None)

    def _joined(self, branches: list[_Env]) -> _Env:
        """Facts after an `if`: what every branch agrees on, and what the branches that know a fact agree
        on. A view that scrambles data on the paths where its source is known scrambles it on those paths,
        whatever the others do (`if abs: out = self.attn(q, k, v) elif rel: out = unknown(...)`). Layouts
        known on several paths keep the positions whose dims agree; the others hold a dim nothing names."""
        joined = _Env.agreed(branches)
        for part in ("dims", "shapes", "products"):
            table = getattr(joined, part)
            for name in {name for branch in branches for name in getattr(branch, part)} - set(table):
                if any(name in branch.layouts for branch in branches):
                    continue
                values = [getattr(branch, part)[name] for branch in branches if name in getattr(branch, part)]
                if all(value == values[0] for value in values):
                    table[name] = values[0]
        for name in {name for branch in branches for name in branch.layouts} - set(joined.layouts):
            if any(name in b.dims or name in b.shapes or name in b.products for b in branches):
                continue
            layouts = [branch.layouts[name] for branch in branches if name in branch.layouts]
            met: Layout | None = layouts[0]
            for other in layouts[1:]:
                met = self._meet(met, other) if met is not None else None
            if met is not None:
                joined.layouts[name] = met
        return joined

    def _meet(self, first: Layout, second: Layout) -> Layout | None:
        """The positions two layouts of one rank hold the same dims at (merged dims part by part), in the
        first's base; a position where they differ holds a fresh dim. None when no position agrees."""
        if first == second:
            return first
        if not (first.rank_known and second.rank_known) or len(first.order) != len(second.order):
            return None
        order, agreed = [], False
        for a, b in zip(first.order, second.order, strict=True):
            parts_a, parts_b = self._merged.get(a, (a,)), self._merged.get(b, (b,))
            same = len(parts_a) == len(parts_b) and all(
                self._root(self._key(first.base, x)) == self._root(self._key(second.base, y))
                for x, y in zip(parts_a, parts_b, strict=True)
            )
            agreed = agreed or same
            order.append(a if same else next(self._fresh))
        return Layout(first.base, tuple(order), True) if agreed else None

    def _forget_target(self, target: cst.BaseExpression, env: _Env) -> None:
        if isinstance(target, cst.Name):
            env.forget(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._forget_target(element.value, env)
        elif isinstance(target, cst.StarredElement):
            self._forget_target(target.value, env)

    # -- assignments -----------------------------------------------------------------------------

    def _assign(self, target: cst.BaseExpression, value: cst.BaseExpression, env: _Env) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            if isinstance(value, (cst.Tuple, cst.List)) and len(value.elements) == len(target.elements):
                facts = [self._value_facts(element.value, env) for element in value.elements]
                for element, fact in zip(target.elements, facts, strict=True):
                    self._bind(element.value, fact, env)
                return
            returned = self._returned(value, env)
            if isinstance(returned, _Several) and len(returned.facts) == len(target.elements):
                # `values, attn = attention(q, k, v)`: each name gets what the function returns there.
                for element, fact in zip(target.elements, returned.facts, strict=True):
                    self._bind(element.value, fact, env)
                return
            parts = self._parts_layout(value, env)
            if parts is not None:
                # `q, k, v = self.qkv(x).split(C, dim=2)`: each part keeps the dims and their order.
                self._forget_target(target, env)
                for element in target.elements:
                    self._bind(element.value, parts, env)
                return
            shape_of, start = self._shape_source(value, env), 0
            if shape_of is None and isinstance(value, cst.Subscript):
                # `h, w = x.shape[2:]` or `x.shape[-2:]`: the trailing dims from a literal start.
                shape_of, start = self._shape_source(value.value, env), _slice_start(value)
            self._forget_target(target, env)
            if shape_of is not None and start is not None:
                self._unpack(target, shape_of, env, start)
            return
        self._bind(target, self._value_facts(value, env), env)

    def _value_facts(self, value: cst.BaseExpression, env: _Env) -> _Fact:
        shape_of = self._shape_source(value, env)
        if shape_of is not None:
            return ("shape", shape_of)
        size = self._size(value, env)
        if size.kind is SizeKind.DIMS:
            return next(iter(size.dims)) if len(size.dims) == 1 else size.dims
        returned = self._returned(value, env)
        if returned is not None and not isinstance(returned, _Several):
            return returned
        return self._layout(value, env)

    def _bind(self, target: cst.BaseExpression, fact: _Fact, env: _Env) -> None:
        if not isinstance(target, cst.Name):
            self._forget_target(target, env)
            return
        name = target.value
        env.forget(name)
        if isinstance(fact, DimRef):
            env.dims[name] = fact
        elif isinstance(fact, frozenset):
            env.products[name] = fact
        elif isinstance(fact, Layout):
            env.layouts[name] = fact
        elif isinstance(fact, tuple):
            env.shapes[name] = fact[1]

    def _unpack(self, target: cst.Tuple | cst.List, layout: Layout, env: _Env, start: int = 0) -> None:
        """`b, c, h, w = x.shape`: name each dim; a starred name leaves the rank open.

        `start` is where the unpacked dims begin (`h, w = x.shape[2:]`); a negative start counts from the end.
        """
        elements = target.elements
        starred = [i for i, e in enumerate(elements) if isinstance(e, cst.StarredElement)]
        if starred and start != 0:
            return
        if not starred:
            full = layout.extended(start + len(elements)) if start >= 0 else layout
            if full is None:
                return
            self._set_layout_of_source(layout, full, env)
            positions = [start + i for i in range(len(elements))]
        else:
            star = starred[0]
            positions = [*range(star), *(i - len(elements) for i in range(star + 1, len(elements)))]
            elements = [e for i, e in enumerate(elements) if i != star]
            full = layout
        # A name unpacked twice (`b, h, w, h, w = corr.shape`) names two dims: which one it means is unknown.
        names = [e.value.value for e in elements if isinstance(e.value, cst.Name)]
        for element, position in zip(elements, positions, strict=True):
            index = full.dim_at(position)
            if isinstance(element.value, cst.Name) and index is not None:
                if names.count(element.value.value) == 1:
                    env.dims[element.value.value] = DimRef(full.base, index)

    @staticmethod
    def _set_layout_of_source(old: Layout, new: Layout, env: _Env) -> None:
        """Unpacking fixes the rank of the tensor it unpacks, wherever that layout is held."""
        for table in (env.layouts, env.shapes):
            for name, layout in table.items():
                if layout == old:
                    table[name] = new

    # -- expressions -----------------------------------------------------------------------------

    def _shape_source(self, expr: cst.BaseExpression, env: _Env) -> Layout | None:
        """For `x.shape` / `x.size()` (or a name bound to one), the layout of x."""
        if isinstance(expr, cst.Name):
            return env.shapes.get(expr.value)
        if isinstance(expr, cst.Attribute) and expr.attr.value == "shape":
            return self._layout(expr.value, env)
        if (
            isinstance(expr, cst.Call)
            and isinstance(expr.func, cst.Attribute)
            and expr.func.attr.value == "size"
            and not expr.args
        ):
            return self._layout(expr.func.value, env)
        return None

    def _size(self, expr: cst.BaseExpression, env: _Env) -> SizeArg:
        """What a size expression stands for, in dims of known tensors."""
        if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
            if isinstance(expr.expression, cst.Integer) and expr.expression.value == "1":
                return SizeArg(SizeKind.WILDCARD)
        if isinstance(expr, cst.Name) and expr.value in env.dims:
            return SizeArg(SizeKind.DIMS, frozenset({env.dims[expr.value]}))
        if isinstance(expr, cst.Name) and expr.value in env.products:
            return SizeArg(SizeKind.DIMS, env.products[expr.value])
        ref = self._dim_read(expr, env)
        if ref is not None:
            return SizeArg(SizeKind.DIMS, frozenset({ref}))
        if isinstance(expr, cst.BinaryOperation):
            left = self._size(expr.left, env)
            if isinstance(expr.operator, cst.Multiply):
                right = self._size(expr.right, env)
                if left.kind is SizeKind.DIMS and right.kind is SizeKind.DIMS:
                    return SizeArg(SizeKind.DIMS, left.dims | right.dims)
                return self._spelled_product(((expr.left, left), (expr.right, right)))
            elif isinstance(expr.operator, (cst.FloorDivide, cst.Divide)) and left.kind is SizeKind.DIMS:
                return SizeArg(SizeKind.SPLIT, left.dims, _code(self._ctx.module, expr.right))
        if isinstance(expr, cst.Call) and dotted_name(expr.func) == "int" and len(expr.args) == 1:
            return self._size(expr.args[0].value, env)
        if isinstance(expr, (cst.Name, cst.Attribute)):
            return self._named_width(expr, env)
        return SizeArg(SizeKind.UNKNOWN)

    def _spelled_product(self, factors: tuple[tuple[cst.BaseExpression, SizeArg], ...]) -> SizeArg:
        """`B * self.n_heads`: the dims it names and the names of its other factors, when each factor is a
        dim, a product of dims or a plain name (a literal or a call leaves the product unknown)."""
        dims: frozenset[DimRef] = frozenset()
        spelled: list[str] = []
        for expr, size in factors:
            if size.kind in (SizeKind.DIMS, SizeKind.SPELLED):
                dims |= size.dims
                spelled.extend(size.spelled)
                continue
            spelling = self._spelling(expr) if isinstance(expr, (cst.Name, cst.Attribute)) else None
            if spelling is None:
                return SizeArg(SizeKind.UNKNOWN)
            spelled.append(spelling)
        return SizeArg(SizeKind.SPELLED, dims, spelled=tuple(spelled))

    def _spelling(self, expr: cst.BaseExpression) -> str | None:
        """How a size is written, to find the dim an earlier size of the same spelling made: the source
        text without spaces, a local name bound once to `self.x` spelled `self.x`. None for literals."""
        if isinstance(expr, (cst.Integer, cst.Float)) or (
            isinstance(expr, cst.UnaryOperation) and isinstance(expr.expression, cst.Integer)
        ):
            return None
        if expr in self._spellings:
            return self._spellings[expr]
        spelling = None
        if isinstance(expr, cst.Name):
            value = reaching_value(self._ctx, expr.value, expr)
            if isinstance(value, cst.Attribute):
                spelling = dotted_name(value)
        spelling = self._spellings[expr] = spelling or _code(self._ctx.module, expr)
        return spelling

    def _named_width(self, expr: cst.Name | cst.Attribute, env: _Env) -> SizeArg:
        """A width bound to a name as a division: `hd = C // nh` in the function (a split of C), or
        `self.head_dim = d_model // n_heads` in the class's methods (a split of a width that is no dim of
        the tensor: which dims it covers is left to `_fill_widths`). The divisor is spelled as the
        attribute that holds it (`self.n_heads = n_heads`), as `forward` writes it."""
        unknown = SizeArg(SizeKind.UNKNOWN)
        if isinstance(expr, cst.Name):
            value = reaching_value(self._ctx, expr.value, expr)
            if not _is_division(value):
                return unknown
            size = self._size(value, env)  # type: ignore[arg-type]
            return size if size.kind is SizeKind.SPLIT else unknown
        name = dotted_name(expr)
        cls = self._ctx.enclosing_class(expr)
        if name is None or not name.startswith("self.") or name.count(".") != 1 or cls is None:
            return unknown
        values = self._class_values(cls, name)
        if len(values) != 1 or not _is_division(values[0]):
            return unknown
        divisor = _division(values[0])[1]  # type: ignore[index]
        code = _code(self._ctx.module, divisor)
        if isinstance(divisor, cst.Name):
            held = self._class_values(cls, f"self.{divisor.value}")
            if len(held) == 1 and isinstance(held[0], cst.Name) and held[0].value == divisor.value:
                code = f"self.{divisor.value}"
        return SizeArg(SizeKind.SPLIT, frozenset(), code)

    def _class_values(self, cls: cst.ClassDef, name: str) -> list[cst.BaseExpression]:
        """The values `self.x` is bound to in the methods of one class; empty when one is not known."""
        bindings = [b for b in self._ctx.bindings.of(name) if self._ctx.enclosing_class(b.node) is cls]
        if any(b.value is None or b.kind not in ("assign", "annotated") for b in bindings):
            return []
        return [b.value for b in bindings if b.value is not None]

    def _dim_read(self, expr: cst.BaseExpression, env: _Env) -> DimRef | None:
        """`x.size(i)`, `x.shape[i]`, `x.size()[i]`, `s[i]`: the dim of x read, if its layout is known."""
        layout: Layout | None = None
        index_expr: cst.BaseExpression | None = None
        if (
            isinstance(expr, cst.Call)
            and isinstance(expr.func, cst.Attribute)
            and expr.func.attr.value == "size"
        ):
            if len(expr.args) == 1 and expr.args[0].keyword is None:
                layout, index_expr = self._layout(expr.func.value, env), expr.args[0].value
        elif isinstance(expr, cst.Subscript) and len(expr.slice) == 1:
            element = expr.slice[0].slice
            if isinstance(element, cst.Index):
                layout, index_expr = self._shape_source(expr.value, env), element.value
        position = _literal_int(index_expr) if index_expr is not None else None
        if layout is None or position is None:
            return None
        index = layout.dim_at(position)
        return DimRef(layout.base, index) if index is not None else None

    def _layout(self, expr: cst.BaseExpression, env: _Env) -> Layout | None:
        """The layout of a tensor expression, giving a plain name a fresh identity layout on first use."""
        if isinstance(expr, cst.Name):
            if expr.value in env.dims or expr.value in env.shapes or expr.value in env.products:
                return None
            if expr.value == "self":
                return None  # `self.softmax(x)` calls a submodule: no tensor method of `self`
            if expr.value not in env.layouts:
                env.layouts[expr.value] = Layout(next(self._bases))
            return env.layouts[expr.value]
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.MatrixMultiply):
            return self._matmul(expr.left, expr.right, env)
        if isinstance(expr, cst.BinaryOperation):
            # Broadcasting arithmetic (`x * scale`, `x + pos`) keeps the tensor operand's layout; of two
            # tensors of the same rank, the left one's.
            left, right = self._known_layout(expr.left, env), self._known_layout(expr.right, env)
            if left is None or right is None or left == right or self._broadcast_together(left, right):
                return left or right
            return None
        if isinstance(expr, cst.Subscript) and len(expr.slice) == 1:
            element = expr.slice[0].slice
            if isinstance(element, cst.Index) and _literal_int(element.value) is not None:
                # `qkv[0]` of a (3, B, nh, T, hd) tensor holds the dims after the first.
                layout = self._known_layout(expr.value, env)
                return layout.without(0) if layout is not None else None
            return None
        if not isinstance(expr, cst.Call):
            return None
        made = self._made_layout(expr, env)
        if made is not None:
            return made
        if isinstance(expr.func, cst.Attribute):
            method = expr.func.attr.value
            receiver = expr.func.value
            ints = _literal_ints(expr.args)
            if method in vocab.LAYOUT_KEEPING_METHODS and self._ctx.qualified_name(receiver) is None:
                return self._layout(receiver, env)
            if method == "permute" and ints is not None:
                layout = self._layout(receiver, env)
                return layout.permuted(ints) if layout is not None else None
            if method in ("transpose", "swapaxes", "swapdims") and ints is not None and len(ints) == 2:
                layout = self._layout(receiver, env)
                if layout is not None and not layout.rank_known and -1 in ints and max(ints) >= 0:
                    return self._to_last(layout, max(ints))
                return layout.transposed(*ints) if layout is not None else None
            if method in ("movedim", "moveaxis") and ints is not None and len(ints) == 2 and ints[1] == -1:
                layout = self._layout(receiver, env)
                if layout is not None and not layout.rank_known and ints[0] >= 0:
                    return self._to_last(layout, ints[0])  # the dims after it shift, their order kept
                return None
            if method == "flatten" and ints is not None:
                return self._flattened(self._layout(receiver, env), ints)
            if method == "unsqueeze" and ints is not None and len(ints) == 1:
                return self._unsqueezed(self._layout(receiver, env), ints[0])
            if method in vocab.DIM_REDUCTION_METHODS and self._ctx.qualified_name(receiver) is None:
                return self._reduced(self._layout(receiver, env), expr.args)
            if method == "t" and not expr.args:
                layout = self._layout(receiver, env)
                full = layout.extended(2) if layout is not None else None
                return full.transposed(0, 1) if full is not None else None
        if expr.args and expr.args[0].keyword is None:
            layered = self._layer_result(expr, env)
            if layered is not None:
                return layered
        first_positional = bool(expr.args) and expr.args[0].keyword is None
        if first_positional and self._ctx.callee_in(expr, vocab.DIM_REDUCTION_FUNCTIONS):
            return self._reduced(self._layout(expr.args[0].value, env), expr.args[1:])
        if first_positional and self._ctx.callee_in(expr, vocab.FLATTEN_FUNCTIONS):
            ints = _literal_ints(expr.args[1:])
            if ints is not None:
                return self._flattened(self._layout(expr.args[0].value, env), ints)
        return None

    def _to_last(self, layout: Layout, position: int) -> Layout | None:
        """`y.transpose(1, -1)` (or `movedim(1, -1)`) of a tensor of unknown rank: the dim at `position` goes
        last, after every other, and `position` holds a dim that nothing names (of rank `position + 1` the
        swap changes nothing, and the moved dim still comes after the ones before it)."""
        if layout.last is not None or len(layout.order) > position + 1:
            return None
        order = (*layout.order, *range(len(layout.order), position + 1))
        fresh = next(self._fresh)
        self._vague.add(fresh)
        return Layout(layout.base, (*order[:position], fresh), False, order[position])

    def _reduced(self, layout: Layout | None, args: tuple[cst.Arg, ...] | list[cst.Arg]) -> Layout | None:
        """`x.sum(dim=-1, keepdim=True)`: the reduced position holds a size-1 dim; without `keepdim` it is
        gone (rank known). One literal dim only: a reduction over all or several dims is left unknown."""
        positional = [arg.value for arg in args if arg.keyword is None]
        keywords = {arg.keyword.value: arg.value for arg in args if arg.keyword is not None}
        dim = keywords.get("dim", positional[0] if positional else None)
        keep = keywords.get("keepdim", positional[1] if len(positional) > 1 else None)
        position = _literal_int(dim) if dim is not None else None
        keepdim = False if keep is None else {"True": True, "False": False}.get(dotted_name(keep) or "")
        if layout is None or position is None or keepdim is None:
            return None
        if not keepdim:
            return layout.without(position)
        if position < 0:
            if not layout.rank_known or -position > len(layout.order):
                return None
            position += len(layout.order)
        full = layout.extended(max(position + 1, len(layout.order))) if not layout.rank_known else layout
        if full is None or position >= len(full.order):
            return None
        one = next(self._fresh)
        self._ones.add(one)
        order = list(full.order)
        order[position] = one
        return replace(full, order=tuple(order), rank_known=layout.rank_known)

    def _unsqueezed(self, layout: Layout | None, position: int) -> Layout | None:
        """`x.unsqueeze(1)`: a new size-1 dim at `position` (counted in the result, as torch counts it),
        the others in their order; the rank must be known to place it."""
        if layout is None or not layout.rank_known:
            return None
        rank = len(layout.order) + 1
        if not -rank <= position < rank:
            return None
        position %= rank
        one = next(self._fresh)
        self._ones.add(one)
        return Layout(layout.base, (*layout.order[:position], one, *layout.order[position:]), True)

    def _flattened(self, layout: Layout | None, ints: list[int]) -> Layout | None:
        """`x.flatten(2)` of a (B, C, H, W) x: (B, C, H * W), the flattened dims merged (rank known)."""
        if layout is None or not layout.rank_known or len(ints) > 2:
            return None
        rank = len(layout.order)
        start, end = (ints + [0, -1][len(ints) :])[:2]
        start, end = start % rank if rank else 0, end % rank if rank else 0
        if not 0 <= start <= end < rank:
            return None
        if start == end:
            return layout
        merged = self._merge(layout.base, layout.order[start : end + 1])
        return Layout(layout.base, (*layout.order[:start], merged, *layout.order[end + 1 :]), True)

    def _made_layout(self, call: cst.Call, env: _Env) -> Layout | None:
        """The layout of a tensor a call makes: a view/reshape result, a matrix product, a factory's
        result, or what a followed function returns."""
        if self.is_view_call(call):
            return self._view_result(call, env)
        if self._ctx.callee_in(call, vocab.MATMUL_FUNCTIONS) and len(call.args) == 2:
            batched = self._ctx.callee(call) == "torch.bmm"
            return self._matmul(call.args[0].value, call.args[1].value, env, batched)
        if isinstance(call.func, cst.Attribute) and self._ctx.qualified_name(call.func.value) is None:
            if call.func.attr.value in vocab.MATMUL_METHODS and len(call.args) == 1:
                batched = call.func.attr.value == "bmm"
                return self._matmul(call.func.value, call.args[0].value, env, batched)
            if call.func.attr.value in vocab.SIZED_FACTORY_METHODS:
                return self._factory(list(call.args), env)
        if self._ctx.callee_in(call, vocab.SIZED_FACTORY_FUNCTIONS):
            return self._factory(list(call.args), env)
        if self._ctx.callee_in(call, vocab.CONCAT_FUNCTIONS):
            return self._concatenated(call, env)
        if isinstance(call.func, cst.Attribute) and call.func.attr.value == "repeat":
            if self._ctx.qualified_name(call.func.value) is None:
                return self._repeated(call, env)
        returned = self._returned(call, env)
        return returned if isinstance(returned, Layout) else None

    def _concatenated(self, call: cst.Call, env: _Env) -> Layout | None:
        """`torch.cat([x, skip], dim=1)`: the layout its known parts share (rank known), with the joined
        position now holding a new size."""
        tensors = call.args[0].value if call.args and call.args[0].keyword is None else None
        dims = [arg.value for arg in call.args[1:] if arg.keyword is None]
        dims += [arg.value for arg in call.args if arg.keyword is not None and arg.keyword.value == "dim"]
        joined = _literal_int(dims[0]) if len(dims) == 1 else (0 if not dims else None)
        if not isinstance(tensors, (cst.List, cst.Tuple)) or joined is None:
            return None
        layouts = [self._known_layout(element.value, env) for element in tensors.elements]
        known = {layout for layout in layouts if layout is not None}
        if len(known) != 1:
            return None
        layout = known.pop()
        if not layout.rank_known or not -len(layout.order) <= joined < len(layout.order):
            return None
        order = list(layout.order)
        order[joined] = next(self._fresh)
        return Layout(layout.base, tuple(order), True)

    def _repeated(self, call: cst.Call, env: _Env) -> Layout | None:
        """`x.repeat(1, 2, 1, 1)`: positions repeated once keep their dim, the others hold a new size. A
        count spelled by a name (`q.repeat(n_head, 1, 1)`) stacks copies outside the dim: that position
        holds the count (a split-off part, as heads are) merged with the dim, the count outermost."""
        counts = _size_expressions([arg for arg in call.args if arg.keyword is None])
        layout = self._known_layout(call.func.value, env)  # type: ignore[attr-defined]
        if counts is None or layout is None:
            return None
        full = layout.extended(len(counts))
        if full is None:
            return None
        order = []
        for index, count in zip(full.order, counts, strict=True):
            literal = _literal_int(count)
            spelling = self._spelling(count) if isinstance(count, (cst.Name, cst.Attribute)) else None
            if literal == 1:
                order.append(index)
            elif spelling is None:
                order.append(next(self._fresh))
            else:
                copies = next(self._fresh)
                self._spelled[copies] = spelling
                self._split_parts.add(copies)
                order.append(self._merge(layout.base, (copies, index)))
        return Layout(layout.base, tuple(order), True)

    def _view_result(self, call: cst.Call, env: _Env) -> Layout | None:
        """`x.view(B, T, nh, hd)` of a (B, T, C) x holds B and T where x does, then two parts of C.

        A named dim keeps its identity only while every size before it covers exactly the dims stored
        before it; any other position gets a fresh dim that nothing names. Sizes after the named prefix
        that split the one dim left over are marked as split parts. A view that reorders is left unknown:
        it is reported already, and its result is scrambled.
        """
        receiver, sizes = self._view_operands(call)
        layout = self._layout(receiver, env) if receiver is not None else None
        if sizes is None or layout is None:
            return None
        flat, args, positions = self._view_args(layout, sizes, env)
        if self._view_facts(call, receiver, sizes, flat, args, positions).reorders:
            return None
        leading = self._leading_wildcard(call, receiver, sizes, flat)
        if leading is not None:
            return leading
        order: list[int] = []
        cursor = 0  # receiver positions the sizes so far cover, while that is certain
        group: list[int] = []  # sizes that together cover the one receiver dim at `cursor` (see `_anchored`)
        for i, (size, arg) in enumerate(zip(sizes, args, strict=True)):
            where = positions[i] if arg.kind in (SizeKind.DIMS, SizeKind.WILDCARD) else None
            if cursor is not None and not group and not where:
                group = self._anchored(args, positions, i, cursor)
            if group:
                # Sizes between two known ones that cover one receiver dim: that dim, or its parts.
                if len(group) == 1:
                    held = flat.dim_at(cursor)
                    if held is None:
                        return None
                    order.append(held)
                else:
                    fresh = next(self._fresh)
                    order.append(fresh)
                    self._split_parts.add(fresh)
                    if i == group[-1]:
                        held = flat.dim_at(cursor)
                        if held is not None:
                            self._split_into[(flat.base, held)] = tuple(order[-len(group) :])
                if i == group[-1]:
                    cursor += 1  # type: ignore[operator]
                    group = []
                continue
            if cursor is not None and where and where == frozenset(range(cursor, cursor + len(where))):
                held = [flat.dim_at(p) for p in range(cursor, cursor + len(where))]
                if any(index is None for index in held):
                    return None
                order.append(held[0] if len(held) == 1 else self._merge(flat.base, tuple(held)))  # type: ignore[arg-type]
                cursor += len(where)
                continue
            foreign = self._foreign_dim(flat, arg)
            if foreign is not None:
                order.append(foreign)
                cursor = None
                continue
            fresh = next(self._fresh)
            order.append(fresh)
            if _literal_int(size) == 1:
                self._ones.add(fresh)  # a size-1 dim: it may sit anywhere without moving data
            if arg.kind is SizeKind.WILDCARD:
                self._vague.add(fresh)
            spelling = self._spelling(size) if arg.kind is not SizeKind.WILDCARD else None
            if spelling is not None:
                self._spelled[fresh] = spelling
            # A part of the last dim, or a named count (`self.n_heads`) a view splits off: no size-1 dim
            # that a later reshape may drop on purpose.
            splits = cursor is not None and self._splits_last(flat, cursor, args[i:], arg)
            if splits or (spelling is not None and isinstance(size, (cst.Name, cst.Attribute))):
                self._split_parts.add(fresh)
            if not splits:
                cursor = None
        return Layout(layout.base, tuple(order), True)

    def _view_facts(
        self,
        call: cst.Call,
        receiver: cst.BaseExpression,
        sizes: list[cst.BaseExpression],
        flat: Layout,
        args: list[SizeArg],
        positions: tuple[frozenset[int] | None, ...],
    ) -> ViewFacts:
        ones = frozenset(p for p, index in enumerate(flat.order) if index in self._ones)
        parts = frozenset(p for p, index in enumerate(flat.order) if index in self._split_parts) - ones
        united = set(self._same) | set(self._same.values())
        vague = frozenset(
            p
            for p, index in enumerate(flat.order)
            if index >= _FRESH_START
            and index in self._vague
            and index not in self._split_parts
            and index not in united
        )
        wildcards = frozenset(i for i, arg in enumerate(args) if arg.kind is SizeKind.WILDCARD)
        unplaced = tuple(
            arg.kind is SizeKind.DIMS
            and bool(arg.dims)
            and all(self._find(flat, ref) is None for ref in arg.dims)
            and all(ref.index not in self._ones for ref in arg.dims)
            for arg in args
        )
        rank = len(flat.order) if flat.rank_known else None
        return ViewFacts(
            call, receiver, tuple(sizes), positions, parts, rank, unplaced, ones, vague, wildcards
        )

    def _leading_wildcard(
        self, call: cst.Call, receiver: cst.BaseExpression, sizes: list[cst.BaseExpression], flat: Layout
    ) -> Layout | None:
        """`self.proj(x).view(-1, self.n_heads, self.d_head)` with `self.proj = nn.Linear(d, n_heads *
        d_head)`: the explicit sizes split the projection's last dim, so the leading -1 holds the input's
        leading dims, the first of them outermost (dim 0 of `Linear(x)` is dim 0 of `x`). The sizes must be
        the factors of the layer's `out_features`, read through the `self.<attr> = <param>` assignments of
        the class that builds the layer (or the attributes themselves). With the input's rank known, the -1
        merges all but its last dim."""
        if len(sizes) < 3 or _literal_int(sizes[0]) != -1 or not self._splits_projection(receiver, sizes[1:]):
            return None
        if flat.rank_known:
            if len(flat.order) < 2:
                return None
            leading = flat.order[:-1]
            first = leading[0] if len(leading) == 1 else self._merge(flat.base, leading)
        else:
            first = flat.dim_at(0)  # type: ignore[assignment]
            if first is None:
                return None
        order = [first]
        for size in sizes[1:]:
            fresh = next(self._fresh)
            self._split_parts.add(fresh)
            spelling = self._spelling(size)
            if spelling is not None:
                self._spelled[fresh] = spelling
            order.append(fresh)
        return Layout(flat.base, tuple(order), True)

    def _width_factors(
        self, cls: cst.ClassDef, width: cst.BaseExpression, sizes: list[cst.BaseExpression]
    ) -> list[cst.BaseExpression] | None:
        """The two factors of a layer width spelled as one name, read from the class: a product it holds
        (`self.output_dim = num_heads * attention_dim`), or a division of it that one of `sizes` holds
        (`self.head_dim = dim // num_heads` with `nn.Linear(dim, dim)`: dim is num_heads parts of
        head_dim). None otherwise."""
        spelled = dotted_name(width)
        if spelled is None:
            return None
        held = self._class_values(cls, spelled) if spelled.startswith("self.") else []
        product = _factors(held[0]) if len(held) == 1 else None
        if product is not None and len(product) == 2:
            return product
        for size in sizes:
            name = dotted_name(size)
            values = self._class_values(cls, name) if name and name.startswith("self.") else []
            division = _division(values[0]) if len(values) == 1 else None
            if division is not None and self._same_width(cls, dotted_name(division[0]), spelled):
                return [division[1], size]
        return None

    def _same_width(self, cls: cst.ClassDef, first: str | None, second: str) -> bool:
        """Two spellings of one width: the same text, or an attribute and the parameter it stores
        (`self.d_model = d_model`)."""
        if first is None:
            return False
        if first == second:
            return True
        for attribute, other in ((first, second), (second, first)):
            if attribute.startswith("self."):
                values = self._class_values(cls, attribute)
                if len(values) == 1 and dotted_name(values[0]) == other:
                    return True
        return False

    def _heads_ahead_of_positions(
        self, receiver: cst.BaseExpression, sizes: list[cst.BaseExpression], flat: Layout, env: _Env
    ) -> bool:
        """`self.linear_k(x).view(B * self.num_heads, -1, self.dim_per_head)` with `self.linear_k =
        nn.Linear(d, self.dim_per_head * num_heads)` and B the projection's first dim: the heads are a part
        of the last dim, and this view puts them in front of the positions the `-1` stands for, so each
        head's row holds a slice of the positions with every head's features (a much-copied multi-head
        attention, and FuxiCTR's). Only with the middle `-1` between them, and not for a receiver known to
        be a matrix (then the `-1` is 1 and nothing moves)."""
        if len(sizes) != 3 or _literal_int(sizes[1]) != -1 or (flat.rank_known and len(flat.order) < 3):
            return False
        merged = _factors(sizes[0])
        if merged is None or len(merged) != 2:
            return False
        for batch, heads in (merged, merged[::-1]):
            size = self._size(batch, env)
            if size.kind is not SizeKind.DIMS or len(size.dims) != 1:
                continue
            first = self._find(flat, next(iter(size.dims))) == 0
            if first and self._splits_projection(receiver, [heads, sizes[2]]):
                return True
        return False

    def _splits_projection(self, receiver: cst.BaseExpression, sizes: list[cst.BaseExpression]) -> bool:
        """Whether `receiver` is a linear layer's output (the call, or a name bound to it) whose
        `out_features` is the product of `sizes`, factor by factor as spelled (`self.h * self.d` against
        `nn.Linear(d_in, h * d)` in a class that sets `self.h = h` and `self.d = d`)."""
        value = receiver
        if isinstance(receiver, cst.Name):
            value = reaching_value(self._ctx, receiver.value, receiver)  # type: ignore[assignment]
        if not isinstance(value, cst.Call) or not value.args:
            return False
        layer = self._ctx.layers.layer_of(value.func)
        if layer is None or layer.kind.rsplit(".", 1)[-1] not in ("Linear", "LazyLinear"):
            return False
        width = call_argument(layer.constructor, *vocab.OUTPUT_WIDTH_ARGUMENT[layer.kind.rsplit(".", 1)[-1]])
        factors = _factors(width) if width is not None else None
        cls = self._ctx.enclosing_class(layer.constructor)
        if factors is not None and len(factors) == 1 and cls is not None and len(sizes) == 2:
            factors = self._width_factors(cls, factors[0], sizes)
        if factors is None or cls is None or len(factors) != len(sizes):
            return False
        wanted = [_code(self._ctx.module, factor) for factor in factors]
        for size in sizes:
            name = dotted_name(size)
            if name is None or not name.startswith("self.") or name.count(".") != 1:
                return False
            # The factor is spelled as the attribute, or as the parameter the class stores in it.
            match = next((factor for factor in wanted if self._same_width(cls, name, factor)), None)
            if match is None:
                return False
            wanted.remove(match)
        return not wanted

    def _foreign_dim(self, flat: Layout, arg: SizeArg) -> int | None:
        """A size naming one dim of another tensor (`q.view(B, T, nh, hd)` of a projection of `y`, with
        `B, T` read off `x`): the result holds a dim of that size there, carried into this base."""
        if arg.kind is not SizeKind.DIMS or len(arg.dims) != 1:
            return None
        ref = next(iter(arg.dims))
        if ref.base == flat.base or self._find(flat, ref) is not None:
            return None
        return self._carry(ref.index, ref.base, flat.base)

    @staticmethod
    def _anchored(
        args: list[SizeArg], positions: tuple[frozenset[int] | None, ...], start: int, cursor: int
    ) -> list[int]:
        """The sizes from `start` on that cover exactly the receiver dim at `cursor`: those before the next
        size whose positions are known and begin right after it (`reshape(B, -1, self.dim_head, H * W)` of
        a (B, C, H, W) tensor: `-1` and `self.dim_head` split C). A view keeps the element count and the
        order, so what lies between two known sizes covers the dims between them. Empty when unsure."""
        for j in range(start, len(args)):
            where = positions[j] if args[j].kind is SizeKind.DIMS else None
            if where:
                return list(range(start, j)) if min(where) == cursor + 1 and j > start else []
            if args[j].kind is SizeKind.DIMS:
                return []  # a known size at an unknown place: no anchor
        return []

    @staticmethod
    def _splits_last(layout: Layout, cursor: int, rest: list[SizeArg], arg: SizeArg) -> bool:
        """Whether `arg` is a part of the one receiver dim still to cover: a split of it (`C // nh` or its
        partner), or one of several sizes that, with the rank known, can only divide that last dim."""
        if arg.kind is SizeKind.SPLIT:
            return True
        left = len(layout.order) - cursor if layout.rank_known else None
        return left == 1 and len(rest) >= 2 and all(a.kind is not SizeKind.DIMS for a in rest)

    def _view_operands(
        self, call: cst.Call
    ) -> tuple[cst.BaseExpression | None, list[cst.BaseExpression] | None]:
        if not self._ctx.callee_in(call, vocab.RESHAPE_FUNCTIONS):
            return call.func.value, _size_expressions(list(call.args))  # type: ignore[attr-defined]
        if call.args:
            return call.args[0].value, _size_expressions(list(call.args[1:]))
        return None, None

    def _matmul(
        self, left: cst.BaseExpression, right: cst.BaseExpression, env: _Env, batched: bool = False
    ) -> Layout | None:
        """`a @ b`: the batch dims, the rows of `a`, the columns of `b` (in `a`'s base). Operands of equal
        known rank (3 or more) must agree on their batch dims, which are then known to be equal. A `bmm`
        (both operands 3-d, batch dims equal) with one operand unknown still keeps what the known one
        fixes: batch and rows of `a`, or batch and columns of `b`."""
        first, second = self._known_layout(left, env), self._known_layout(right, env)
        if batched:  # a tensor seen only as a name (its own order, rank unknown) tells a bmm nothing
            first, second = (
                None if t is not None and not (t.rank_known or t.order) else t for t in (first, second)
            )
        if first is not None and second is not None:
            if not (first.rank_known and second.rank_known) or len(first.order) != len(second.order):
                return None
            if len(first.order) < 3:
                return None
            batch = self._broadcast_batch(first, second)
            columns = self._carry(second.order[-1], second.base, first.base)
            return Layout(first.base, (*batch, first.order[-2], columns), True)
        known = first or second
        if not batched or known is None or not known.rank_known or len(known.order) != 3:
            return None
        fresh = next(self._fresh)
        self._vague.add(fresh)  # the unknown operand's rows or columns
        if first is not None:
            return Layout(first.base, (first.order[0], first.order[1], fresh), True)
        return Layout(known.base, (known.order[0], fresh, known.order[2]), True)

    def _broadcast_batch(self, first: Layout, second: Layout) -> tuple[int, ...]:
        """The batch dims of `a @ b` (operands of equal known rank), in `a`'s base: where one operand holds
        a size-1 dim (`q @ lam.unsqueeze(1)`), broadcasting gives the other's dim; elsewhere the two are
        equal, and are recorded so."""
        batch: list[int] = []
        for position in range(len(first.order) - 2):
            a, b = first.order[position], second.order[position]
            if a in self._ones and b not in self._ones:
                batch.append(self._carry(b, second.base, first.base))
                continue
            if b not in self._ones and a not in self._ones:
                self._unite_dims(first, second, range(position, position + 1))
            batch.append(a)
        return tuple(batch)

    def _factory(self, args: list[cst.Arg], env: _Env) -> Layout | None:
        """`torch.zeros(nh, B, T, d)`: a tensor whose positions hold the dims its sizes name (one base)."""
        sizes = _size_expressions([arg for arg in args if arg.keyword is None])
        if not sizes:
            return None
        named = [self._size(size, env) for size in sizes]
        refs = [next(iter(a.dims)) if a.kind is SizeKind.DIMS and len(a.dims) == 1 else None for a in named]
        bases = {ref.base for ref in refs if ref is not None}
        if len(bases) != 1:
            return None
        order = tuple(ref.index if ref is not None else next(self._fresh) for ref in refs)
        if len(set(order)) != len(order):
            return None
        return Layout(bases.pop(), order, True)

    def _returned(self, value: cst.BaseExpression, env: _Env) -> _Fact | _Several:
        """What a call of a function of this module, a method of the enclosing class or the `forward` of a
        project submodule (`self.attention(q, k, v)`) returns for the layouts passed to it: every `return`
        must agree, else unknown."""
        if not isinstance(value, cst.Call) or any(arg.star for arg in value.args):
            return None
        target = self._followed(value, env)
        if target is None or target.node in self._following or len(self._following) >= _MAX_CALL_DEPTH:
            return None
        function = target.node
        assert isinstance(function, cst.FunctionDef)
        params = list(function.params.params)
        if isinstance(value.func, cst.Attribute):
            params = params[1:]  # `self`
        positional = [arg for arg in value.args if arg.keyword is None]
        passed = [
            (param.name, self._passed(arg.value, env)) for param, arg in zip(params, positional, strict=False)
        ]
        passed += [
            (arg.keyword, self._passed(arg.value, env)) for arg in value.args if arg.keyword is not None
        ]
        key = (function, tuple((name.value, fact) for name, fact in passed))
        if key in self._followed_results:  # one function, the same facts passed in: the same answer
            return self._followed_results[key]
        self._followed_results[key] = None  # a recursive call through other functions learns nothing
        inner = _Env()
        for name, fact in passed:
            self._bind(name, fact, inner)
        caller = self._ctx
        self._ctx = target.ctx  # a submodule's class may live in another project module
        self._following.append(function)
        self._returns.append([])
        try:
            self._suite(function.body, inner)
        finally:
            self._ctx = caller
            self._following.pop()
            found = self._returns.pop()
        result = found[0] if found and all(fact == found[0] for fact in found) else None
        self._followed_results[key] = result
        return result

    def _passed(self, expr: cst.BaseExpression, env: _Env) -> _Fact:
        """What an argument carries into a followed call: only what is known of a plain name (a name seen
        for the first time is no tensor we know, and must not pose as one inside the callee)."""
        if isinstance(expr, cst.Name):
            name = expr.value
            if name in env.shapes:
                return ("shape", env.shapes[name])
            return env.dims.get(name) or env.products.get(name) or env.layouts.get(name)
        return self._value_facts(expr, env)

    def _followed(self, call: cst.Call, env: _Env) -> Resolved | None:
        """The function a call runs, when it is a plain function of this module or a method of the class
        the call is in, defined once; or the `forward` of a project submodule (`self.attention(...)`)
        when a tensor of known layout is passed to it. Else None."""
        func = call.func
        if isinstance(func, cst.Name):
            name, owner = func.value, None
        elif (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value == "self"
        ):
            name, owner = func.attr.value, self._ctx.enclosing_class(call)
            if owner is None:
                return None
        else:
            return None
        candidates = [
            f
            for f in self._ctx.functions.get(name, [])
            if self._ctx.enclosing_function(f) is None and self._ctx.enclosing_class(f) is owner
        ]
        if len(candidates) == 1 and candidates[0].asynchronous is None:
            return Resolved(self._ctx, candidates[0])
        if owner is None or candidates or not self._passes_layout(call, env):
            return None
        key = (owner, name, self._ctx)
        if key not in self._submodules:  # one answer per class attribute
            found = submodule_forward(self._ctx, call)
            function = found.node if found is not None else None
            usable = isinstance(function, cst.FunctionDef) and function.asynchronous is None
            self._submodules[key] = found if usable else None
        return self._submodules[key]

    @staticmethod
    def _passes_layout(call: cst.Call, env: _Env) -> bool:
        return any(isinstance(arg.value, cst.Name) and arg.value.value in env.layouts for arg in call.args)

    def _parts_layout(self, value: cst.BaseExpression, env: _Env) -> Layout | None:
        """The layout every part of `t.chunk(...)` / `t.split(...)` / `torch.chunk(t, ...)` shares."""
        if not isinstance(value, cst.Call):
            return None
        if self._ctx.callee_in(value, vocab.SPLIT_FUNCTIONS) and value.args:
            return self._sized_parts(self._layout(value.args[0].value, env), value, 1)
        if isinstance(value.func, cst.Attribute) and value.func.attr.value in vocab.SPLIT_METHODS:
            if self._ctx.qualified_name(value.func.value) is None:
                return self._sized_parts(self._layout(value.func.value, env), value, 0)
        unbound = self._unbound(value)
        if unbound is not None:
            layout = self._known_layout(unbound[0], env)
            return layout.without(unbound[1]) if layout is not None else None
        return None

    def _sized_parts(self, layout: Layout | None, call: cst.Call, first: int) -> Layout | None:
        """Parts split off by a list of sizes (`torch.split(qkv, [nh * dk, dk, dv], dim=1)`) differ in size
        along the split dim, from each other and from the whole: there they hold a dim of unknown size
        (no dim a size names), elsewhere the whole's. An even split (one size, `chunk(3, dim=-1)`) keeps
        the whole's dims; `first` is where the sizes are among the call's positional arguments."""
        sizes = call_argument(call, first, "split_size_or_sections")
        if layout is None or not isinstance(sizes, (cst.List, cst.Tuple)):
            return layout
        dim = call_argument(call, first + 1, "dim")
        position = 0 if dim is None else _literal_int(dim)
        if position is None or (position < 0 and not layout.rank_known):
            return None
        if layout.rank_known and not -len(layout.order) <= position < len(layout.order):
            return None
        if not layout.rank_known and layout.last is not None:
            return None
        order = list(layout.order) + list(range(len(layout.order), position + 1))
        order[position] = next(self._fresh)
        self._vague.add(order[position])
        return replace(layout, order=tuple(order))

    def _unbound(self, call: cst.Call) -> tuple[cst.BaseExpression, int] | None:
        """`t.unbind(k)` / `torch.unbind(t, k)` (k literal, default 0): the tensor and the dim removed."""
        if self._ctx.callee(call) == "torch.unbind" and call.args:
            tensor, rest = call.args[0].value, call.args[1:]
        elif (
            isinstance(call.func, cst.Attribute)
            and call.func.attr.value == "unbind"
            and self._ctx.qualified_name(call.func.value) is None
        ):
            tensor, rest = call.func.value, call.args
        else:
            return None
        if not rest:
            return tensor, 0
        dim = _literal_int(rest[0].value) if len(rest) == 1 else None
        return (tensor, dim) if dim is not None else None

    def _known_layout(self, expr: cst.BaseExpression, env: _Env) -> Layout | None:
        """A layout already known, without making one up for names never seen as tensors."""
        if isinstance(expr, cst.Name):
            return env.layouts.get(expr.value)
        if isinstance(expr, (cst.Integer, cst.Float)):
            return None
        return self._layout(expr, env)

    def _layer_result(self, call: cst.Call, env: _Env) -> Layout | None:
        """The layout a layer's call gives its first argument: the same for layout-keeping functions and
        layers (elementwise, norms, convolutions, linear layers); for an `nn.Embedding`, the input's dims
        then a new one for the vectors (rank known)."""
        if self._ctx.callee_in(call, vocab.LAYOUT_KEEPING_FUNCTIONS):
            return self._layout(call.args[0].value, env)
        layer = self._ctx.layers.layer_of(call.func)
        kind = layer.kind.rsplit(".", 1)[-1] if layer is not None else None
        if kind in vocab.LAYOUT_KEEPING_LAYERS:
            layout = self._layout(call.args[0].value, env)
            width = _width(layer.kind, layer.constructor) if kind == "Linear" and layer is not None else None
            if width is None or layout is None or not layout.rank_known or not layout.order:
                return layout
            # A literal out width makes a new last dim, no dim of the input; of size 1, one that may move.
            fresh = next(self._fresh)
            if width == 1:
                self._ones.add(fresh)
            return replace(layout, order=(*layout.order[:-1], fresh))
        if kind != "Embedding":
            return None
        layout = self._layout(call.args[0].value, env)
        if layout is None or not layout.rank_known:
            return None
        return Layout(layout.base, (*layout.order, next(self._fresh)), True)

    # -- dims across tensors and merged dims -----------------------------------------------------------

    @staticmethod
    def _key(base: int, index: int) -> object:
        """A dim's identity across layouts: fresh dims are global, a named dim belongs to its base."""
        return index if index >= _FRESH_START else (base, index)

    def _root(self, key: object) -> object:
        while key in self._same:
            key = self._same[key]
        return key

    def _unite(self, first: object, second: object) -> None:
        a, b = self._root(first), self._root(second)
        if a != b:
            self._same[a] = b

    def _unite_dims(self, first: Layout, second: Layout, positions: range) -> None:
        """Record that two layouts hold dims of equal size and place at `positions` (bmm batch dims);
        merged dims of as many parts pair part by part."""
        for position in positions:
            a, b = first.order[position], second.order[position]
            self._unite(self._key(first.base, a), self._key(second.base, b))
            parts_a, parts_b = self._merged.get(a, ()), self._merged.get(b, ())
            if parts_a and len(parts_a) == len(parts_b):
                for x, y in zip(parts_a, parts_b, strict=True):
                    self._unite(self._key(first.base, x), self._key(second.base, y))

    def _merge(self, base: int, parts: tuple[int, ...]) -> int:
        """A fresh dim holding `parts` (dims of `base`) merged, outermost first; the same parts of the same
        base give the same dim."""
        flat = tuple(p for part in parts for p in self._merged.get(part, (part,)))
        key = (base, flat) if any(p < _FRESH_START for p in flat) else (None, flat)
        index = self._merges.get(key)
        if index is None:
            index = self._merges[key] = next(self._fresh)
            self._merged[index] = flat
        return index

    def _carry(self, index: int, source: int, target: int) -> int:
        """Dim `index` of base `source` as a dim of a layout of base `target`: named dims of another base
        become fresh dims known to equal them."""
        if source == target:
            return index
        if index in self._merged:
            parts = tuple(self._carry(part, source, target) for part in self._merged[index])
            return self._merge(target, parts)
        if index >= _FRESH_START:
            return index
        carried = self._carried.get((source, index))
        if carried is None:
            carried = self._carried[(source, index)] = next(self._fresh)
            self._unite(carried, (source, index))
        return carried

    @staticmethod
    def _broadcast_together(first: Layout, second: Layout) -> bool:
        """Two layouts of the same known rank (`attn + self.pos_embed(q)`, a bias built from q's sizes):
        broadcasting adds position by position, so each position of the sum holds the left operand's dim
        (the two are equal, or the right one is 1)."""
        return first.rank_known and second.rank_known and len(first.order) == len(second.order)

    def _flat(self, layout: Layout) -> Layout:
        """The layout with each merged dim spread into its parts, so sizes can name the parts."""
        if not layout.rank_known or not any(index in self._merged for index in layout.order):
            return layout
        order = tuple(p for index in layout.order for p in self._merged.get(index, (index,)))
        return Layout(layout.base, order, True)

    def _find(self, flat: Layout, ref: DimRef) -> int | None:
        """The position of a (flat) layout that holds `ref`, itself or a dim known to equal it."""
        if ref.base == flat.base or (ref.index >= _FRESH_START and ref.index in flat.order):
            position = flat.position_of(ref.index)
            if position is not None:
                return position
        root = self._root(self._key(ref.base, ref.index))
        hits = [p for p, index in enumerate(flat.order) if self._root(self._key(flat.base, index)) == root]
        return hits[0] if len(hits) == 1 else None

    def _resolved(self, flat: Layout, sizes: list[cst.BaseExpression], args: list[SizeArg]) -> list[SizeArg]:
        """Sizes in terms of the dims of `flat`: merged dims named by one size are split into their parts,
        dims of other tensors known to equal one of `flat` become that one, and a size spelled like the
        size that made a dim (`self.n_heads`, `B * self.n_heads`) names that dim."""
        resolved = []
        for size, arg in zip(sizes, args, strict=True):
            if arg.kind in (SizeKind.DIMS, SizeKind.SPELLED):
                dims = set()
                for ref in arg.dims:
                    for part in self._merged.get(ref.index, (ref.index,)):
                        found = self._find(flat, DimRef(ref.base, part))
                        held = flat.order[found] if found is not None and found < len(flat.order) else None
                        pieces = self._split_into.get((ref.base, part), ()) if held is None else ()
                        if pieces and all(piece in flat.order for piece in pieces):
                            dims |= {DimRef(flat.base, piece) for piece in pieces}  # split earlier
                            continue
                        dims.add(DimRef(flat.base, held) if held is not None else DimRef(ref.base, part))
                spelled = [self._spelled_dim(flat, name) for name in arg.spelled]
                if any(dim is None for dim in spelled):
                    resolved.append(SizeArg(SizeKind.UNKNOWN))
                    continue
                dims |= {DimRef(flat.base, dim) for dim in spelled if dim is not None}
                resolved.append(SizeArg(SizeKind.DIMS, frozenset(dims)))
            elif arg.kind in (SizeKind.UNKNOWN, SizeKind.SPLIT):
                spelling = self._spelling(size)
                dim = self._spelled_dim(flat, spelling) if spelling is not None else None
                named = (
                    SizeArg(SizeKind.DIMS, frozenset({DimRef(flat.base, dim)})) if dim is not None else arg
                )
                resolved.append(named)
            else:
                resolved.append(arg)
        return resolved

    def _spelled_dim(self, flat: Layout, spelling: str) -> int | None:
        found = [index for index in flat.order if self._spelled.get(index) == spelling]
        return found[0] if len(found) == 1 else None

    def _view_args(
        self, layout: Layout, sizes: list[cst.BaseExpression], env: _Env
    ) -> tuple[Layout, list[SizeArg], tuple[frozenset[int] | None, ...]]:
        """The receiver's flat layout, what each size stands for in it, and the positions each covers."""
        flat = self._flat(layout)
        args = self._resolved(flat, sizes, [self._size(size, env) for size in sizes])
        args = _fill_widths(flat, _with_split_partners(self._ctx.module, sizes, args))
        return flat, args, _positions(flat, args)

    # -- view calls ------------------------------------------------------------------------------

    def _record(self, call: cst.Call, env: _Env) -> None:
        for ancestor in self._ctx.index.ancestors(call):
            if isinstance(ancestor, _SCOPES):
                return  # comprehension and lambda names shadow the function's
            if isinstance(ancestor, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                break
        if not self._ctx.callee_in(call, vocab.RESHAPE_FUNCTIONS):
            receiver, size_args = call.func.value, list(call.args)
        elif call.args:
            receiver, size_args = call.args[0].value, list(call.args[1:])
        else:
            return
        sizes = _size_expressions(size_args)
        layout = self._layout(receiver, env)
        if sizes is None or layout is None:
            self._facts.pop(call, None)
            return
        flat, args, positions = self._view_args(layout, sizes, env)
        facts = self._view_facts(call, receiver, sizes, flat, args, positions)
        if not facts.reorders and self._heads_ahead_of_positions(receiver, sizes, flat, env):
            facts = replace(facts, heads_ahead=True)
        if any(positions) and not (facts.reorders and self._relative_shift(facts)) or facts.heads_ahead:
            self._facts[call] = facts
        else:
            self._facts.pop(call, None)

    def _relative_shift(self, facts: ViewFacts) -> bool:
        """The relative-position shift of Transformer-XL attention (fairseq2's `_shift_bd`): a tensor padded
        by one column (`x = pad(bd, (1, 0))`) is viewed with two neighbouring sizes swapped, so each row
        starts one step later in memory; a slice then drops the first row and a view restores the shape
        (`x[:, :, 1:, :].view_as(bd)`). A deliberate reinterpretation, not a transpose gone wrong: the swap
        must be the only change, one of its dims padded just before, and the result sliced and viewed back."""
        known = [next(iter(p)) for p in facts.positions if p and len(p) == 1]
        rank = facts.rank if facts.rank is not None else len(known)  # every dim named once: all of them
        if len(known) != len(facts.positions) or sorted(known) != list(range(rank)):
            return False
        moved = [i for i, position in enumerate(known) if position != i]
        if len(moved) != 2 or moved[1] != moved[0] + 1:
            return False
        padded = self._padded_dims(facts.receiver, facts.call, rank)
        return self._sliced_and_viewed_back(facts.call, set(moved), bool(padded & set(moved)))

    def _padded_dims(self, receiver: cst.BaseExpression, at: cst.CSTNode, rank: int) -> set[int]:
        """The dims a `pad(...)` call widens, when it is the receiver or the value the statement just before
        `at` binds to the receiver's name (a literal pad tuple: its pairs pad the last dims, last first)."""
        pad = receiver
        if isinstance(receiver, cst.Name):
            previous = self._previous_statement(at)
            pad = None
            if isinstance(previous, cst.SimpleStatementLine) and len(previous.body) == 1:
                assign = previous.body[0]
                if isinstance(assign, cst.Assign) and [dotted_name(t.target) for t in assign.targets] == [
                    receiver.value
                ]:
                    pad = assign.value
        if not isinstance(pad, cst.Call) or not self._ctx.callee_in(pad, vocab.PAD_FUNCTIONS):
            return set()
        widths = call_argument(pad, 1, "pad")
        amounts = _literal_ints([cst.Arg(widths)]) if widths is not None else None
        if not amounts or len(amounts) % 2:
            return set()
        pairs = zip(amounts[::2], amounts[1::2], strict=True)
        return {rank - 1 - j for j, pair in enumerate(pairs) if any(pair)}

    def _previous_statement(self, node: cst.CSTNode) -> cst.CSTNode | None:
        statement, block = self._statement_and_block(node)
        if statement is None or block is None:
            return None
        position = block.index(statement)
        return block[position - 1] if position > 0 else None

    def _statement_and_block(self, node: cst.CSTNode) -> tuple[cst.CSTNode | None, list[cst.CSTNode] | None]:
        """The statement holding `node` and the list of statements it sits in."""
        index = self._ctx.index
        for ancestor in index.ancestors(node):
            if isinstance(ancestor, cst.SimpleStatementLine):
                parent = index.parent(ancestor)
                body = getattr(parent, "body", None)
                return ancestor, list(body) if isinstance(body, (list, tuple)) else None
        return None, None

    def _sliced_and_viewed_back(self, call: cst.Call, moved: set[int], padded: bool) -> bool:
        """The view's result, bound to a name, is sliced (`x[:, :, 1:, :]`) and the slice viewed or
        reshaped again by the statements after it (chained, or through the name it is bound to). Without a
        pad just before, the slice must drop the first entry of a swapped dim (Transformer-XL's TF-style
        `rel_shift`: `reshape(x, [s[1], s[0], ...])`, then `x[1:, ...]`, then reshaped back)."""
        statement, block = self._statement_and_block(call)
        if statement is None or block is None or not isinstance(statement, cst.SimpleStatementLine):
            return False
        assign = statement.body[0]
        if not isinstance(assign, cst.Assign) or assign.value is not call or len(assign.targets) != 1:
            return False
        names = {dotted_name(assign.targets[0].target)}
        sliced = False
        for later in block[block.index(statement) + 1 :]:
            for node in walk(later):
                if isinstance(node, cst.Subscript) and dotted_name(node.value) in names:
                    if any(isinstance(element.slice, cst.Slice) for element in node.slice):
                        sliced = padded or any(
                            i in moved and _slice_start_of(element) == 1
                            for i, element in enumerate(node.slice)
                        )
                        if not sliced:
                            return False
                        parent = self._ctx.index.parent(node)
                        if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
                            names.add(dotted_name(parent.targets[0].target))
                elif sliced and isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
                    if node.func.attr.value in _VIEW_BACK and dotted_name(node.func.value) in names:
                        return True
                    if node.func.attr.value in _VIEW_BACK and isinstance(node.func.value, cst.Subscript):
                        return dotted_name(node.func.value.value) in names
                    if self._ctx.callee_in(node, vocab.RESHAPE_FUNCTIONS) and node.args:
                        return dotted_name(node.args[0].value) in names
        return False


def _division(expr: cst.BaseExpression | None) -> tuple[cst.BaseExpression, cst.BaseExpression] | None:
    """`a // b`, `a / b` or `int(a / b)` -> (a, b)."""
    if isinstance(expr, cst.Call) and dotted_name(expr.func) == "int" and len(expr.args) == 1:
        expr = expr.args[0].value
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, (cst.FloorDivide, cst.Divide)):
        return expr.left, expr.right
    return None


def _factors(expr: cst.BaseExpression) -> list[cst.BaseExpression] | None:
    """The factors of a product as written (`h * d` -> [h, d]); None when it is no product."""
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Multiply):
        left, right = _factors(expr.left), _factors(expr.right)
        return left + right if left is not None and right is not None else None
    if isinstance(expr, (cst.Name, cst.Attribute)):
        return [expr]
    return None


def _is_division(expr: cst.BaseExpression | None) -> bool:
    return _division(expr) is not None


def _fill_widths(layout: Layout, args: list[SizeArg]) -> list[SizeArg]:
    """`view(B, nh, T, hd)` of a (B, T, C) tensor, with `hd = d_model // nh` set in `__init__`: the two
    parts of that width must cover what the other sizes leave (C), since a view keeps the element count.
    Filled only when every other size names known dims and the rank is known; else they stay unknown."""
    open_parts = [i for i, arg in enumerate(args) if arg.kind is SizeKind.SPLIT and not arg.dims]
    if not open_parts:
        return args
    unknown = [SizeArg(SizeKind.UNKNOWN) if i in open_parts else arg for i, arg in enumerate(args)]
    others = [arg for i, arg in enumerate(args) if i not in open_parts]
    if (
        not layout.rank_known
        or len({args[i].divisor for i in open_parts}) != 1
        or not all(arg.kind in (SizeKind.DIMS, SizeKind.SPLIT) and arg.dims for arg in others)
    ):
        return unknown
    covered: set[int] = set()
    for position in _positions(layout, others):
        if position is None:
            return unknown
        covered |= position
    rest = [p for p in range(len(layout.order)) if p not in covered]
    if not rest:
        return unknown
    dims = frozenset(DimRef(layout.base, layout.order[p]) for p in rest)
    return [replace(arg, dims=dims) if i in open_parts else arg for i, arg in enumerate(args)]


def _with_split_partners(
    module: cst.Module, sizes: list[cst.BaseExpression], args: list[SizeArg]
) -> list[SizeArg]:
    """`view(B, nh, T, C // nh)`: the `nh` beside a split of C by `nh` is the other part of C.

    A partner is the split next to it (`T // 2, 2, H // 2, 2` pairs each `2` with its own neighbour), else
    the one split by that divisor when only one is.
    """
    counts: dict[str, int] = {}
    for arg in args:
        if arg.kind is SizeKind.SPLIT and arg.divisor:
            counts[arg.divisor] = counts.get(arg.divisor, 0) + 1
    if not counts:
        return args
    partnered = []
    for i, (size, arg) in enumerate(zip(sizes, args, strict=True)):
        partner = None
        if arg.kind in (SizeKind.UNKNOWN, SizeKind.SPLIT):
            code = _code(module, size)
            neighbours = [args[j] for j in (i - 1, i + 1) if 0 <= j < len(args)]
            adjacent = [n for n in neighbours if n.kind is SizeKind.SPLIT and n.divisor == code]
            if adjacent:
                # A size that divides its neighbour is that split's other part, whatever it was computed
                # from (`factor = height // 256` in `reshape(b, c, height // factor, factor, ...)`).
                partner = adjacent[0]
            elif arg.kind is SizeKind.UNKNOWN and counts.get(code) == 1:
                partner = next(a for a in args if a.kind is SizeKind.SPLIT and a.divisor == code)
        partnered.append(partner if partner is not None else arg)
    return partnered


def _code(module: cst.Module, expr: cst.BaseExpression) -> str:
    """Source text of an expression without spaces or outer parentheses, to compare two as written."""
    return module.code_for_node(expr).replace(" ", "").strip("()")


def _positions(layout: Layout, args: list[SizeArg]) -> tuple[frozenset[int] | None, ...]:
    """Receiver positions per size argument; a lone -1 covers what the others leave (rank known)."""
    positions: list[frozenset[int] | None] = []
    for arg in args:
        found = None
        if arg.kind in (SizeKind.DIMS, SizeKind.SPLIT):
            where = [layout.position_of(ref.index) if ref.base == layout.base else None for ref in arg.dims]
            if all(p is not None for p in where):
                found = frozenset(p for p in where if p is not None)
        if found is None and arg.kind is SizeKind.DIMS and layout.last is not None:
            if arg.dims == frozenset({DimRef(layout.base, layout.last)}):
                found = frozenset({_LAST})
        positions.append(found)
    if layout.last is not None:
        _place_last(layout, args, positions)
    # Two sizes naming the same dims (`view(n, h * w, h * w)`, `reshape(dim, dim)`): one of them stands for
    # another dim of equal size, and which one is unknown.
    named = [positions[i] if arg.kind is SizeKind.DIMS else None for i, arg in enumerate(args)]
    for i, where in enumerate(named):
        if where is not None and named.count(where) > 1:
            positions[i] = None
    wildcards = [i for i, arg in enumerate(args) if arg.kind is SizeKind.WILDCARD]
    others_known = all(
        arg.kind is SizeKind.DIMS and positions[i] is not None
        for i, arg in enumerate(args)
        if arg.kind is not SizeKind.WILDCARD
    )
    if layout.rank_known and len(wildcards) == 1 and others_known:
        covered = set().union(*(p for p in positions if p))
        rest = frozenset(range(len(layout.order))) - covered
        if rest:
            positions[wildcards[0]] = rest
    if len(wildcards) == 1 and positions[wildcards[0]] is None:
        # `view(-1, T, hd)`: a -1 between sizes whose positions are known covers what lies between them.
        i = wildcards[0]
        before = positions[i - 1] if i > 0 else frozenset({-1})
        after = positions[i + 1] if i + 1 < len(args) else None
        if after is None and i + 1 == len(args) and layout.rank_known:
            after = frozenset({len(layout.order)})
        if before and after and max(before) + 1 < min(after):
            positions[i] = frozenset(range(max(before) + 1, min(after)))
    return tuple(positions)


def _place_last(layout: Layout, args: list[SizeArg], positions: list[frozenset[int] | None]) -> None:
    """Sizes of a layout whose last dim is known but not its rank: that dim sits after every position the
    other sizes name and after those `order` lists, and a lone -1 covers at least the listed positions no
    other size covers (a view keeps every element: `reshape(y.shape[1], -1)` of `y.transpose(1, -1)`
    lists the moved dim before dim 0)."""
    named = [p for p in positions if p and _LAST not in p]
    after = max([len(layout.order), *(max(p) + 1 for p in named)])
    for i, where in enumerate(positions):
        if where == frozenset({_LAST}):
            positions[i] = frozenset({after})
    wildcards = [i for i, arg in enumerate(args) if arg.kind is SizeKind.WILDCARD]
    others_known = all(
        positions[i] is not None for i, arg in enumerate(args) if arg.kind is not SizeKind.WILDCARD
    )
    if len(wildcards) == 1 and others_known and any(after in p for p in positions if p):
        covered = set().union(*(p for p in positions if p))
        gaps = frozenset(range(len(layout.order))) - covered
        if gaps:
            positions[wildcards[0]] = gaps


def _width(kind: str, call: cst.Call) -> int | None:
    """The output width a Linear/Conv constructor call spells as a literal, if any."""
    spec = vocab.OUTPUT_WIDTH_ARGUMENT.get(kind.rsplit(".", 1)[-1])
    if spec is None:
        return None
    value = call_argument(call, *spec)
    return int(value.value, 0) if isinstance(value, cst.Integer) else None


def _size_expressions(args: list[cst.Arg]) -> list[cst.BaseExpression] | None:
    """The sizes of `view(a, b)` or `view((a, b))`; None for `view(*shape)`, keywords or dtypes."""
    if any(arg.keyword is not None or arg.star for arg in args):
        return None
    if len(args) == 1 and isinstance(args[0].value, (cst.Tuple, cst.List)):
        elements = args[0].value.elements
        if any(isinstance(e, cst.StarredElement) for e in elements):
            return None
        return [e.value for e in elements]
    return [arg.value for arg in args] if args else None


def _slice_start(subscript: cst.Subscript) -> int | None:
    """The literal start of `s[k:]`, else None."""
    return _slice_start_of(subscript.slice[0]) if len(subscript.slice) == 1 else None


def _slice_start_of(element: cst.SubscriptElement) -> int | None:
    """The literal start of one open-ended slice element (`k:`), else None."""
    part = element.slice
    if not isinstance(part, cst.Slice) or part.lower is None:
        return None
    if part.upper is not None or part.step is not None:
        return None
    return _literal_int(part.lower)


# Methods that view a sliced shift back into shape (`_relative_shift`).
_VIEW_BACK = frozenset({"view", "view_as", "reshape", "reshape_as"})


def _literal_int(expr: cst.BaseExpression) -> int | None:
    if isinstance(expr, cst.Integer):
        return int(expr.value, 0)
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        inner = _literal_int(expr.expression)
        return -inner if inner is not None else None
    return None


def _literal_ints(args: list[cst.Arg] | tuple[cst.Arg, ...]) -> list[int] | None:
    """Integer arguments, given one by one or as one tuple (`permute(0, 2, 1)`, `permute((0, 2, 1))`)."""
    values: list[cst.BaseExpression] = [arg.value for arg in args if arg.keyword is None]
    if len(values) == 1 and isinstance(values[0], (cst.Tuple, cst.List)):
        values = [e.value for e in values[0].elements]
    ints = [_literal_int(value) for value in values]
    return None if any(i is None for i in ints) else [i for i in ints if i is not None]


def _names_with_a_unit_dim(test: cst.BaseExpression) -> list[str]:
    """The names an `if` test says have a dim of size 1 on its true branch: `x.size(1) == 1`,
    `x.shape[1] == 1`, also as one operand of an `and`."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _names_with_a_unit_dim(test.left) + _names_with_a_unit_dim(test.right)
    if not (
        isinstance(test, cst.Comparison)
        and len(test.comparisons) == 1
        and isinstance(test.comparisons[0].operator, cst.Equal)
    ):
        return []
    sides = (test.left, test.comparisons[0].comparator)
    if not any(isinstance(side, cst.Integer) and side.value == "1" for side in sides):
        return []
    names = []
    for side in sides:
        owner = None
        func = side.func if isinstance(side, cst.Call) else None
        if isinstance(func, cst.Attribute) and func.attr.value == "size":
            owner = func.value  # `x.size(1)`
        elif isinstance(side, cst.Subscript) and isinstance(side.value, cst.Attribute):
            if side.value.attr.value == "shape":
                owner = side.value.value  # `x.shape[1]`
        elif isinstance(side, cst.Subscript) and isinstance(side.value, cst.Call):
            func = side.value.func
            if isinstance(func, cst.Attribute) and func.attr.value == "size":
                owner = func.value  # `x.size()[1]`
        if isinstance(owner, cst.Name):
            names.append(owner.value)
    return names
