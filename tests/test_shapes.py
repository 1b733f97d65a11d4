"""The shape engine: which dims a view/reshape lists, and whether it keeps their stored order."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from nnlint.engine.context import FileContext
from nnlint.engine.shapes import ViewFacts


def _views(source: str) -> dict[str, ViewFacts | None]:
    """Every view/reshape call of a snippet, by its source text, with what the engine knows about it."""
    module = cst.parse_module(textwrap.dedent(source))
    ctx = FileContext("snippet.py", module.code, module)
    return {
        module.code_for_node(call): ctx.shapes.view(call)
        for call in ctx.index.nodes(cst.Call)
        if ctx.shapes.is_view_call(call)
    }


def _only(source: str) -> ViewFacts | None:
    (facts,) = _views(source).values()
    return facts


@pytest.mark.parametrize(
    ("body", "positions"),
    [
        ("b, c, h, w = x.shape\ny = x.view(b, h, w, c)", [{0}, {2}, {3}, {1}]),
        ("b, c, h, w = x.size()\ny = x.view(b, c * h * w)", [{0}, {1, 2, 3}]),
        ("b, c, h, w = x.shape\ny = x.view(b, -1)", [{0}, {1, 2, 3}]),
        # A lone -1 covers what the others leave: here h and w, stored after c.
        ("b, c, h, w = x.shape\ny = x.view(b, -1, c)", [{0}, {2, 3}, {1}]),
        ("y = x.reshape(x.size(1), x.size(0), -1)", [{1}, {0}, None]),
        ("n = x.shape[0]\nd = x.shape[-1]\ny = x.view(n, d)", [{0}, None]),  # -1 needs the rank
        ("b, t, d = x.shape\nz = x.shape[-1]\ny = x.view(b, t, z)", [{0}, {1}, {2}]),
        ("s = x.size()\ny = x.view(s[0], s[2], s[1])", [{0}, {2}, {1}]),
        ("b, c, h, w = x.shape\ny = x.view(b, 4, c // 4, h, w)", [{0}, {1}, {1}, {2}, {3}]),
        ("b, c = x.size(0), x.size(1)\ny = x.view(c, b)", [{1}, {0}]),
        ("b, *rest, d = x.shape\ny = x.view(b, -1, d)", [{0}, None, None]),  # rank open: d unknown
        ("b = x.size(0)\nh, w = x.shape[2:]\ny = x.view(b, w, h, -1)", [{0}, {3}, {2}, {1}]),
        ("b, c, h, w = x.shape\nhh, ww = x.shape[-2:]\ny = x.view(b, c, ww, hh)", [{0}, {1}, {3}, {2}]),
        ("hh, ww = x.shape[-2:]\ny = x.view(ww, hh)", None),  # -2 needs the rank
    ],
)
def test_size_arguments_map_to_positions(body: str, positions: list[set[int] | None] | None) -> None:
    facts = _only(f"def f(x):\n{textwrap.indent(body, '    ')}\n")
    if positions is None:
        assert facts is None
        return
    assert facts is not None
    assert [set(p) if p is not None else None for p in facts.positions] == positions


@pytest.mark.parametrize(
    ("source", "reorders"),
    [
        ("b, c, h, w = x.shape\nx.view(b, h, w, c)", True),
        ("b, c, h, w = x.shape\nx.view(b, h * w, c)", True),
        ("b, c, h, w = x.shape\nx.view(b * h, c, w)", True),
        ("b, c, h, w = x.shape\nx.view(b, c, h * w)", False),
        ("b, c, h, w = x.shape\nx.view(b * c, h, w)", False),
        # Splitting channels into heads: the head count must sit next to its partner, after T.
        ("B, T, C = x.shape\nx.view(B, T, self.nh, C // self.nh)", False),
        ("B, T, C = x.shape\nx.view(B, self.nh, T, C // self.nh)", True),
        ("b, c, h, w = x.shape\nx.view(b, g, c // g, h, w)", False),
        ("b, c, h, w = x.shape\nx.view(b, c // (r * r), r, r, h, w)", False),
        # Parts of a split keep the layout (nanoGPT's q, k, v).
        ("B, T, C = x.size()\nq, k, v = x.split(C // 3, dim=2)\nk.view(B, T, nh, C // nh)", False),
        ("B, T, C = x.size()\nq, k = torch.chunk(x, 2, dim=-1)\nk.view(B, nh, T, C // nh)", True),
        ("b, c, h, w = x.shape\nx.view(b, w * h * c)", False),  # a product is a product, in any order
        # After a permute the stored order is the permuted one.
        ("b, c, h, w = x.shape\nx = x.permute(0, 2, 3, 1)\nx.reshape(b, h * w, c)", False),
        ("b, c, h, w = x.shape\nx = x.permute(0, 2, 3, 1)\nx.reshape(b, c, h * w)", True),
        ("b, c, h, w = x.shape\nx.permute(0, 2, 3, 1).contiguous().view(b, -1, c)", False),
        ("b, t, d = x.shape\nx.transpose(0, 1).reshape(t, b, d)", False),
        ("b, t, d = x.shape\nx.transpose(-1, -2).reshape(b, t, d)", True),
        ("b, t, d = x.shape\nx.t().reshape(b, t, d)", False),  # t() of a 3-D tensor: contradiction, unknown
        # Layout-keeping operations carry the layout; an unknown call forgets it.
        ("b, c, h, w = x.shape\ny = F.relu(x) * 2\ny.view(b, h, w, c)", True),
        ("b, c, h, w = x.shape\ny = x.float().contiguous()\ny.view(b, h, w, c)", True),
        ("b, c, h, w = x.shape\ny = g(x)\ny.view(b, h, w, c)", False),
        ("b, c, h, w = x.shape\nh = h // 2\nx.view(b, h, w, c)", True),  # w and c still reordered
        ("b, c, h, w = x.shape\nh, w = w, h\nx.view(b, c, h, w)", True),  # the swap is followed
        # Sizes between two known ones split the dims between them; the whole dim named later covers the
        # parts, wherever they went.
        (
            "b, c, h, w = x.shape\nt = x.reshape(b, -1, s.hd, h * w).transpose(2, 3)\nt.reshape(b, c, h, w)",
            True,
        ),
        ("b, c, h, w = x.shape\nt = x.reshape(b, -1, self.hd, h * w)\nt.reshape(b, c, h, w)", False),
        (
            "b, c, h, w = x.shape\nt = x.reshape(b, 4, c // 4, h * w).transpose(2, 3)\nt.view(b, c, h * w)",
            True,
        ),
        # Split-off parts left stored after the last size: an earlier size must reach behind it.
        (
            "b, c, h, w = x.shape\nt = x.reshape(b, 4, c // 4, h * w).transpose(1, 3)\nt.view(b, s, h, w)",
            True,
        ),
        ("b, c, h, w = x.shape\nt = x.reshape(b, 4, c // 4, h * w)\nt.reshape(b, s, h, w)", False),
        # flatten(start) merges the dims from start on.
        ("b, c, h, w = x.shape\nx.flatten(2).reshape(b, h * w, c)", True),
        ("b, c, h, w = x.shape\nx.flatten(2).transpose(1, 2).reshape(b, h * w, c)", False),
        ("b, c, h, w = x.shape\ntorch.flatten(x, 1, 2).reshape(b, c, h, w)", False),
    ],
)
def test_reorder_is_told_apart_from_merge_and_split(source: str, reorders: bool) -> None:
    snippet = "import torch\nimport torch.nn.functional as F\ndef f(x):\n" + textwrap.indent(source, "    ")
    facts = _views(snippet)[list(_views(snippet))[-1]]
    assert (facts is not None and facts.reorders) is reorders


def test_branches_keep_only_what_every_path_agrees_on() -> None:
    source = """
    def f(x, last):
        b, c, h, w = x.shape
        if last:
            x = x.permute(0, 2, 3, 1)
        y = x.reshape(b, c, h * w)
        if last:
            z = x
        else:
            z = x
        return z.view(b, h, w, c)
    """
    views = _views(source)
    # Only b sits where both paths put it; where c and h * w are depends on the path.
    merged = views["x.reshape(b, c, h * w)"]
    assert merged is not None and merged.positions == (frozenset({0}), None, None) and not merged.reorders
    facts = views["z.view(b, h, w, c)"]
    assert facts is None or not facts.reorders


def test_loop_bodies_see_only_facts_that_hold_on_every_iteration() -> None:
    source = """
    def f(x, blocks):
        b, c, h, w = x.shape
        for block in blocks:
            y = x.view(b, h, w, c)
            x = x.permute(0, 2, 3, 1)
        return x
    """
    assert _views(source)["x.view(b, h, w, c)"] is None


def test_layers_that_keep_the_layout_carry_it() -> None:
    source = """
    import torch.nn as nn
    class Embed(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Conv2d(3, 64, 4, 4)
            self.mystery = make_layer()
        def forward(self, x):
            b, c, h, w = x.shape
            y = self.proj(x)
            z = self.mystery(x)
            return y.view(b, h * w, c), z.view(b, h * w, c)
    """
    views = _views(source)
    assert views["y.view(b, h * w, c)"].reorders
    assert views["z.view(b, h * w, c)"] is None


def test_comprehension_names_and_other_tensors_are_not_confused() -> None:
    source = """
    def f(x, xs, other):
        b, c, h, w = x.shape
        ys = [x.view(b, h, w, c) for x in xs]
        return other.view(b, h, w, c)
    """
    views = _views(source)
    assert views["x.view(b, h, w, c)"] is None
    assert views["other.view(b, h, w, c)"] is None


def test_output_width_of_heads() -> None:
    source = """
    import torch.nn as nn
    class M(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.head = nn.Linear(64, 1)
            self.seq = nn.Sequential(nn.Conv2d(8, 1, 4), nn.Sigmoid())
            self.cls = nn.Linear(64, 10)
            self.var = nn.Linear(64, n)
        def forward(self, x):
            return self.head(x), self.seq(x), self.cls(x), self.var(x)
    """
    module = cst.parse_module(textwrap.dedent(source))
    ctx = FileContext("snippet.py", module.code, module)
    calls = {
        module.code_for_node(call): call
        for call in ctx.index.nodes(cst.Call)
        if module.code_for_node(call).startswith("self.")
    }
    widths = {code: ctx.shapes.output_width(call) for code, call in calls.items()}
    assert widths == {"self.head(x)": 1, "self.seq(x)": 1, "self.cls(x)": 10, "self.var(x)": None}


def test_a_layout_known_on_some_branches_counts_on_those_paths() -> None:
    source = """
    def f(self, q, mode):
        B, L, H, D = q.shape
        if mode == "abs":
            out = q.transpose(1, 2)
        elif mode == "rel":
            out = self.unknown(q)
        return out.reshape(B, L, -1)
    """
    assert _views(source)["out.reshape(B, L, -1)"].reorders


def test_heads_merged_into_the_batch_are_read_back_part_by_part() -> None:
    source = """
    import torch
    def f(self, x):
        B, T, C = x.shape
        q = x.view(B, T, self.n_heads, self.head_dim).transpose(1, 2)
        q = q.reshape(B * self.n_heads, -1, self.head_dim)
        out = torch.bmm(torch.bmm(q, q.transpose(1, 2)), q)
        good = out.view(B, self.n_heads, T, self.head_dim)
        bad = out.view(self.n_heads, B, T, self.head_dim)
        return good, bad
    """
    views = _views(source)
    merged = views["q.reshape(B * self.n_heads, -1, self.head_dim)"]
    assert merged.positions == (frozenset({0, 1}), frozenset({2}), frozenset({3}))
    assert not views["out.view(B, self.n_heads, T, self.head_dim)"].reorders
    assert views["out.view(self.n_heads, B, T, self.head_dim)"].reorders


def test_bmm_batch_dims_are_equal_across_tensors() -> None:
    # Heads stacked outside the batch by repeat; a size read off v names the batch of `attn @ v`.
    source = """
    import torch
    def f(q, v, n):
        mb, lq, d = q.size()
        mb, lv, d = v.size()
        qs = q.repeat(n, 1, 1)
        vs = v.repeat(n, 1, 1)
        out = torch.bmm(torch.bmm(qs, vs.transpose(1, 2)), vs)
        return out.view(mb, lq, -1), out.view(n, mb, lq, -1)
    """
    views = _views(source)
    assert views["out.view(mb, lq, -1)"].reorders
    assert not views["out.view(n, mb, lq, -1)"].reorders


def test_an_unsqueezed_operand_broadcasts_its_size_1_batch_dim() -> None:
    # (B, nh, M, dk) @ (B, 1, dk, dv): the heads come from q, the size-1 dim broadcasts (timm's lambda
    # layer); dims 3 and 1 swapped leave the heads behind the positions, the last two swapped do not.
    source = """
    import torch
    class Lambda:
        def forward(self, x):
            B, C, H, W = x.shape
            M = H * W
            q, k, v = torch.split(x, [self.nh * self.dk, self.dk, self.dv], dim=1)
            q = q.reshape(B, self.nh, self.dk, M).transpose(-1, -2)
            k = k.reshape(B, self.dk, M)
            v = v.reshape(B, self.dv, M).transpose(-1, -2)
            out = q @ (k @ v).unsqueeze(1)
            return out.transpose(3, 1).reshape(B, C, H, W), out.transpose(-1, -2).reshape(B, C, H, W)
    """
    views = _views(source)
    assert views["out.transpose(3, 1).reshape(B, C, H, W)"].reorders
    assert not views["out.transpose(-1, -2).reshape(B, C, H, W)"].reorders
    # Without the unsqueeze the ranks differ (4 and 3): nothing is known.
    assert _views(source.replace(".unsqueeze(1)", ""))["out.transpose(3, 1).reshape(B, C, H, W)"] is None


def test_parts_split_by_a_list_of_sizes_hold_a_new_dim_there() -> None:
    # Parts of uneven sizes along dim 3 (nanotron's grouped-query split): merging the kv heads with the
    # split part is no reorder; an even `chunk` keeps the whole's dims.
    source = """
    import torch
    def f(fused, kvh, rep, hd, qh):
        T, B, _ = fused.size()
        qkv = fused.view(T, B, kvh, rep + 2, hd)
        query, key, value = torch.split(qkv, [rep, 1, 1], dim=3)
        a, b = qkv.chunk(2, dim=1)
        return query.transpose(0, 1).reshape(B, T, qh, hd), a.reshape(B, -1)
    """
    views = _views(source)
    assert not views["query.transpose(0, 1).reshape(B, T, qh, hd)"].reorders
    assert views["a.reshape(B, -1)"].reorders


def test_a_project_submodule_forward_is_followed(tmp_path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "modules.py").write_text(
        textwrap.dedent(
            """
            import torch
            import torch.nn as nn
            class DotAttention(nn.Module):
                def forward(self, q, k, v):
                    return torch.bmm(torch.bmm(q, k.transpose(1, 2)).softmax(-1), v), None
            """
        )
    )
    layer = tmp_path / "layer.py"
    layer.write_text(
        textwrap.dedent(
            """
            import torch.nn as nn
            from modules import DotAttention
            class Heads(nn.Module):
                def __init__(self, attention, n):
                    super().__init__()
                    self.n = n
                    self.attention = DotAttention()
                    self.injected = attention
                def forward(self, x):
                    b, t, d = x.shape
                    s = x.repeat(self.n, 1, 1)
                    out, _ = self.attention(s, s, s)
                    other, _ = self.injected(s, s, s)
                    return out.view(b, t, -1), other.view(b, t, -1)
            """
        )
    )
    module = cst.parse_module(layer.read_text())
    ctx = FileContext(str(layer), module.code, module)
    views = {
        module.code_for_node(call): ctx.shapes.view(call)
        for call in ctx.index.nodes(cst.Call)
        if ctx.shapes.is_view_call(call)
    }
    assert views["out.view(b, t, -1)"].reorders
    assert views["other.view(b, t, -1)"] is None  # passed in from outside: unknown
    assert tmp_path / "modules.py" in ctx.project_deps


_HEADS = """
import torch.nn as nn
class Attention(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.proj = nn.Linear(dim, {width})
    def forward(self, x):
        batch_size = x.size(0)
        q = self.proj(x)
        return q.view(batch_size * {heads}, -1, self.head_dim)
"""


@pytest.mark.parametrize(
    ("width", "heads", "ahead"),
    [
        ("dim", "self.num_heads", True),  # dim is num_heads parts of head_dim
        ("self.head_dim * num_heads", "self.num_heads", True),
        ("dim", "2", False),  # no factor of the projection's width
        ("dim * 2", "self.num_heads", False),  # the width is not num_heads parts of head_dim
    ],
)
def test_heads_merged_into_the_batch_from_a_projection_are_put_ahead_of_the_positions(
    width: str, heads: str, ahead: bool
) -> None:
    facts = _only(_HEADS.format(width=width, heads=heads))
    assert (facts is not None and facts.heads_ahead) is ahead
