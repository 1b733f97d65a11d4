"""NN101 view-as-permute: a `view`/`reshape` whose sizes list the source's dims in another order."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from nnlint.finding import Severity
from nnlint.rule import Invalid, Rule


class ViewAsPermute(Rule):
    """## What it does
    Flags a `.view()` / `.reshape()` (or `torch.reshape`) whose sizes name the dims of the tensor it reshapes
    in a different order than the tensor stores them, such as `b, c, h, w = x.shape; x.view(b, h, w, c)` or
    `x.reshape(x.size(1), x.size(0), -1)`. Dims are known from `x.shape` / `x.size()` unpacking,
    `x.size(i)` and `x.shape[i]`, and are followed through `permute`, `transpose` and layout-keeping
    operations, through the result of an earlier `view`/`reshape`, `chunk`/`split`, `unbind` and integer
    indexing (`qkv[0]`; parts split by a list of sizes, `torch.split(qkv, [a, b, c], dim=1)`, hold a dim
    of unknown size where they were split), `torch.cat` and `repeat` (the joined or repeated dim gets a new
    size, the others keep theirs; `repeat(n_head, 1, 1)` stacks copies outside the first dim),
    `matmul`/`bmm`/`@` (whose
    operands' batch dims are then known to be equal, also for q and k/v projected from different tensors;
    a size-1 dim made by `unsqueeze` broadcasts to the other operand's: `q @ lam.unsqueeze(1)`),
    tensors made by `torch.zeros(...)`-style factories from named sizes, calls of functions of the same
    module or methods of the same class (the tensor passed as a parameter, the layout returned), and the
    `forward` of a project submodule (`self.attention(q, k, v)`). Sizes may be products of dims
    (`n = h * w`), splits bound to a name (`hd = C // nh`), widths set in `__init__`
    (`self.head_dim = d_model // n_heads`, whose two parts must then cover the dims the other sizes leave)
    or names that an earlier view split off (`view(B * self.n_heads, -1, self.head_dim)` merges B with the
    heads of `view(B, T, self.n_heads, self.head_dim)`). Merging or splitting neighbouring dims keeps their
    order and is not flagged; a reshape that places a dim after skipping the heads split off by an earlier
    reshape (`(B, nh, T, hd)` reshaped to `(B, T, -1)`) is, and so is one that reads a merged dim's parts in
    another order (heads stacked batch-major as `B * nh`, split back as `view(nh, B, ...)`). After an `if`,
    a layout known on some branches counts on those paths. Sizes between two known sizes cover the dims
    between them (`reshape(B, -1, self.dim_head, H * W)` of a `(B, C, H, W)` tensor splits C), a dim split
    that way and named whole later covers where its parts went, `flatten(start, end)` merges the dims it
    flattens, an `nn.Embedding` adds a dim after its input's, and a reshape whose last size ends before
    split-off parts stored after it (heads and their width left behind the positions) is a reorder too.
    A leading `-1` whose other sizes are the factors of a linear layer's `out_features`
    (`self.proj(x).view(-1, self.n_heads, self.d)` with `nn.Linear(d_in, n_heads * d)`, also when the layer
    is built in a base class) keeps the input's first dim in front; a reduction along one dim with
    `keepdim=True` keeps the rank (without it the dim is gone); and a size naming the receiver's first dim
    placed after sizes that name dims the receiver is not known to hold (`torch.bmm(att, h.transpose(0, 1))`,
    (heads, ?, features), reshaped to `(n, heads, features)`) is a reorder. A tensor of unknown rank with a
    dim moved last (`y.transpose(1, -1)`, `y.movedim(1, -1)`) holds that dim after every other, so
    `reshape(y.shape[1], -1)` lists it before dim 0.

    A linear projection split into heads by merging them straight into the batch,
    `self.linear_k(x).view(B * self.num_heads, -1, self.dim_per_head)` with `nn.Linear(d, self.dim_per_head
    * num_heads)` (or `nn.Linear(d, d)` and `self.head_dim = d // num_heads`) and B the projection's first
    dim, puts the heads (a part of the last dim) in front of the positions the `-1` stands for: flagged
    too, unless the receiver is known to be a matrix.

    What cannot be placed stays silent: two sizes naming the same dims (a square `(n, h * w, h * w)` map,
    `reshape(dim, dim)`), a name unpacked twice (`b, h, w, h, w = x.shape`), a size-1 dim (viewed in as a
    `1`, the output of a width-1 linear layer) wherever it moves, and a `-1` covering a dim of unknown size
    behind a named one (it may hold that size by value). A size that divides its neighbour
    (`height // factor, factor`) is that split's other part, whatever it was computed from, and
    Transformer-XL's relative shift (two neighbours swapped, the first row of one sliced off, the rest
    reshaped back) is deliberate.

    ## Why is this bad?
    `view` and `reshape` never move data: they reinterpret the same memory, read in row-major order, with
    new sizes. Listing the dims in a new order does not transpose the tensor, it cuts the memory into
    blocks of the new sizes, so values from different channels, positions or samples end up mixed in each
    row. The shapes come out right, nothing crashes, and the model trains on scrambled inputs. Karpathy's
    "A Recipe for Training Neural Networks" names view-instead-of-transpose among the bugs that silently mix
    information across the batch and dims; the cure is to `permute` (or `transpose`) first.

    ## Example
    ```python
    b, c, h, w = x.shape
    tokens = x.view(b, h * w, c)  # channels and positions scrambled
    ```

    ## Use instead
    ```python
    b, c, h, w = x.shape
    tokens = x.permute(0, 2, 3, 1).reshape(b, h * w, c)  # or x.flatten(2).transpose(1, 2)
    ```

    ## References
    - A. Karpathy, "A Recipe for Training Neural Networks" (2019): "use view instead of transpose/permute".
    - PyTorch docs, `torch.Tensor.view` and `torch.Tensor.permute`.
    """

    code = "NN101"
    name = "view-as-permute"
    severity = Severity.ERROR
    message = (
        "This reshape lists the dims of its source in another order than they are stored, which scrambles "
        "data instead of transposing it; `permute` the dims first, then reshape."
    )
    hint = "Reordering dims needs `permute`/`transpose`; `view`/`reshape` may only merge or split neighbours."
    probe_settles = True

    VALID: ClassVar[list[str]] = [
        # fairseq's ONNX branch (`if self.onnx_trace and attn.size(1) == 1:`): one position can move anywhere.
        """
import torch
def merge(x, n_heads):
    b, n, d = x.shape
    if tracing and x.size(1) == 1:
        x = x.view(n, b, d)
    return x
""",
        # Heads split off and moved ahead of the positions before merging into the batch; and the merge
        # of a projection of a known matrix (one position: the `-1` is 1).
        """
import torch.nn as nn
class Attention(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.q_proj = nn.Linear(dim, dim)
    def forward(self, x):
        B, N, C = x.shape
        q = self.q_proj(x).view(B, N, self.num_heads, self.head_dim).transpose(1, 2)
        q = q.reshape(B * self.num_heads, -1, self.head_dim)
        return q
    def step(self, token):
        B, C = token.shape
        q = self.q_proj(token)
        return q.view(B * self.num_heads, -1, self.head_dim)
""",
        # Merging and splitting neighbours keeps the order.
        """
import torch
def f(x):
    b, c, h, w = x.shape
    a = x.view(b, -1)
    a = x.view(b, c * h * w)
    a = x.reshape(b, c, h * w)
    return x.view(b * c, h, w)
""",
        # Splitting the last dim into heads (nanoGPT attention), then a correct re-assembly.
        """
import torch
def attend(x, n_head):
    B, T, C = x.size()
    q = x.view(B, T, n_head, C // n_head).transpose(1, 2)
    y = q.transpose(1, 2).contiguous().view(B, T, C)
    return y
""",
        # A permute first, then the view: the order of the permuted tensor is what counts.
        """
import torch
def tokens(x):
    b, c, h, w = x.shape
    x = x.permute(0, 2, 3, 1).contiguous()
    return x.view(b, h * w, c)
""",
        """
import torch
def tokens(x):
    b, c, h, w = x.shape
    return x.flatten(2).transpose(1, 2).reshape(b, h * w, c)
""",
        # Channel shuffle (ShuffleNet): split, transpose, view back.
        """
import torch
def channel_shuffle(x, groups):
    batch, channels, height, width = x.size()
    x = x.view(batch, groups, channels // groups, height, width)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(batch, channels, height, width)
""",
        # Pixel shuffle.
        """
import torch
def pixel_shuffle(x, r):
    b, c, h, w = x.shape
    x = x.view(b, c // (r * r), r, r, h, w)
    x = x.permute(0, 1, 4, 2, 5, 3)
    return x.reshape(b, c // (r * r), h * r, w * r)
""",
        # The dims were named from another tensor: nothing is known about y's order.
        """
import torch
def f(x, y):
    b, c, h, w = x.shape
    return y.view(b, h, w, c)
""",
        # Only one branch permutes: after the `if`, x's order is unknown.
        """
import torch
def f(x, channels_last):
    b, c, h, w = x.shape
    if channels_last:
        x = x.permute(0, 2, 3, 1)
    return x.reshape(b, c, h * w)
""",
        # x is rebound to a value of unknown layout before the view.
        """
import torch
def f(x):
    b, c, h, w = x.shape
    x = some_op(x)
    return x.view(b, h, w, c)
""",
        # A comprehension variable shadows x.
        """
import torch
def f(x, xs):
    b, c, h, w = x.shape
    return [x.view(b, h, w, c) for x in xs]
""",
        # Attention in a helper, then the heads moved back next to head_dim before merging them (nanoGPT).
        """
import torch
import torch.nn as nn
def attend(q, k, v):
    att = torch.softmax(q @ k.transpose(-2, -1), dim=-1)
    return att @ v
class SelfAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.qkv(x).view(B, T, self.heads, 3 * C // self.heads).transpose(1, 2).chunk(3, dim=-1)
        y = attend(q, k, v)
        return y.transpose(1, 2).contiguous().view(B, T, C)
""",
        # A skipped dim that no reshape split off may be a size-1 dim dropped on purpose (CRNN, h == 1).
        """
import torch.nn as nn
class CRNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.cnn = nn.Conv2d(1, 64, 3)
    def forward(self, x):
        conv = self.cnn(x)
        b, c, h, w = conv.size()
        return conv.view(b, c, w)
""",
        # A product of dims named once, merged in their stored order.
        """
import torch
def flat(x):
    n = x.size(0)
    d = x.size(1) * x.size(2) * x.size(3)
    return x.view(n, d), x.permute(0, 2, 3, 1).reshape(n, x.size(2) * x.size(3), x.size(1))
""",
        # A buffer made in the order the view reads it.
        """
import torch
def gather(x, n_heads, d):
    batch_size, length = x.shape[0], x.shape[1]
    heads = torch.zeros(batch_size, length, n_heads, d)
    return heads.view(batch_size, length, -1)
""",
        # Several dims each split in place by one factor (space-time to depth): every `2` is the partner of
        # the split beside it.
        """
import torch
def f(x):
    B, C, T, H, W = x.shape
    return x.view(B, C, T // 2, 2, H // 2, 2, W // 2, 2)
""",
        # numpy's reshape is no tensor view.
        """
import numpy as np
import torch
def f(a):
    n, m = a.shape
    return np.reshape(a, (m, n))
""",
        # Head width set in __init__, heads split after the time dim; q/k/v unbound, heads transposed back.
        """
import torch.nn as nn
class Attention(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.n_heads = n_heads
        self.head_dim = d_model // n_heads
    def forward(self, x):
        B, T, C = x.shape
        q = x.view(B, T, self.n_heads, self.head_dim).transpose(1, 2)
        qkv = x.reshape(B, T, 3, self.n_heads, C // self.n_heads).permute(2, 0, 3, 1, 4)
        q2, k2, v2 = qkv.unbind(0)
        out = (q2 @ k2.transpose(-2, -1)).softmax(-1).matmul(qkv[2])
        return q, out.transpose(1, 2).reshape(B, T, C)
""",
        # Joined along the channels, then channels moved last before the tokens view.
        """
import torch
def tokens(x, skip):
    b, c, h, w = x.shape
    feats = torch.cat([x, skip], dim=1)
    tiled = x.repeat(1, 1, 2, 1)
    return feats.permute(0, 2, 3, 1).reshape(b, h * w, -1), tiled.view(b, c, -1)
""",
        # Heads stacked into the batch dim by `repeat` (heads outermost), attention in a submodule, and the
        # heads split off the batch and moved next to the features before merging them.
        """
import torch
import torch.nn as nn
class DotAttention(nn.Module):
    def forward(self, q, k, v):
        attn = torch.softmax(torch.bmm(q, k.transpose(1, 2)), dim=-1)
        return torch.bmm(attn, v), attn
class StackedHeads(nn.Module):
    def __init__(self, n_head, d_model, d_k):
        super().__init__()
        self.n_head = n_head
        self.w = nn.Parameter(torch.randn(n_head, d_model, d_k))
        self.attention = DotAttention()
    def forward(self, x):
        n_head = self.n_head
        batch, length, d_model = x.size()
        s = x.repeat(n_head, 1, 1).view(n_head, -1, d_model)
        s = torch.bmm(s, self.w).view(-1, length, self.w.size(2))
        out, attn = self.attention(s, s, s)
        out = out.view(n_head, batch, length, -1).permute(1, 2, 0, 3).contiguous()
        return out.view(batch, length, -1)
""",
        # Heads moved into the batch dim batch-major (`B * nh`) by helper methods, read back in that order.
        """
import torch
import torch.nn as nn
class HeadsInBatch(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.proj = nn.Linear(dim, dim)
    def split(self, batch_size, t):
        t = t.view(batch_size, -1, self.num_heads, self.head_dim).permute(0, 2, 1, 3)
        return t.contiguous().view(batch_size * self.num_heads, -1, self.head_dim)
    def forward(self, x):
        batch_size = x.size(0)
        q = self.split(batch_size, self.proj(x))
        out = torch.bmm(torch.softmax(torch.bmm(q, q.transpose(1, 2)), -1), q)
        out = out.view(batch_size, self.num_heads, -1, self.head_dim).permute(0, 2, 1, 3)
        return out.contiguous().view(batch_size, -1, self.num_heads * self.head_dim)
""",
        # Cross-attention: queries from another tensor, sized by the first one's dims; heads moved back.
        """
import torch
import torch.nn as nn
class CrossAttention(nn.Module):
    def __init__(self, d_model, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = d_model // num_heads
        self.kv = nn.Linear(d_model, 2 * d_model)
        self.q = nn.Linear(d_model, d_model)
    def forward(self, x, y):
        batch_size, length, d_model = x.size()
        kv = self.kv(x).reshape(batch_size, length, self.num_heads, 2 * self.head_dim).permute(0, 2, 1, 3)
        q = self.q(y).reshape(batch_size, length, self.num_heads, self.head_dim).permute(0, 2, 1, 3)
        k, v = kv.chunk(2, dim=-1)
        values = torch.matmul(torch.softmax(torch.matmul(q, k.transpose(-1, -2)), dim=-1), v)
        return values.permute(0, 2, 1, 3).reshape(batch_size, length, d_model)
""",
        # bmm attention over (b * h) rows, heads split off the rows and moved back before the merge.
        """
import torch
def attend(x, h):
    b, n, d = x.shape
    q = x.reshape(b, n, h, d // h).transpose(1, 2).reshape(b * h, n, d // h)
    out = torch.bmm(torch.bmm(q, q.transpose(1, 2)).softmax(-1), q)
    return out.reshape(b, h, n, d // h).transpose(1, 2).reshape(b, n, d)
""",
        # The attention is passed in from outside: what layout it returns is unknown.
        """
import torch.nn as nn
class AttentionLayer(nn.Module):
    def __init__(self, attention, n_heads):
        super().__init__()
        self.inner = attention
        self.n_heads = n_heads
    def forward(self, x):
        B, L, _ = x.shape
        q = x.view(B, L, self.n_heads, -1)
        out = self.inner(q, q, q)
        return out.view(B, L, -1)
""",
        # Conv attention done right: heads split off the channels, their width moved back before the
        # spatial positions, tokens made with flatten(2).transpose(1, 2) and folded back after a transpose.
        """
import torch
import torch.nn as nn
class ConvAttention(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.dim_head = dim // num_heads
        self.qkv = nn.Conv2d(dim, dim * 3, 1)
    def forward(self, x):
        B, C, H, W = x.shape
        x = self.qkv(x).reshape(B, -1, self.dim_head, H * W).transpose(-1, -2)
        q, k, v = torch.split(x, self.num_heads, dim=1)
        out = (q @ k.transpose(-1, -2)).softmax(dim=-1) @ v
        return out.transpose(-1, -2).reshape(B, C, H, W)
    def tokens(self, x):
        B, C, H, W = x.shape
        t = x.flatten(2).transpose(1, 2)
        return t.transpose(1, 2).reshape(B, C, H, W)
""",
        # An embedded label map with the vectors moved next to the classes before the merge.
        """
import torch.nn as nn
class LabelUNet(nn.Module):
    def __init__(self, num_classes, dim):
        super().__init__()
        self.dim = dim
        self.embedding = nn.Embedding(num_classes, dim)
    def forward(self, x):
        B, C, H, W = x.size()
        x = self.embedding(x).permute(0, 1, 4, 2, 3)
        return x.reshape(B, C * self.dim, H, W)
""",
        # Transformer-XL's relative shift: one column padded, the last two sizes swapped so that each row
        # starts one step later, the first row sliced off and the result viewed back (fairseq2).
        """
import torch.nn.functional as F
def shift(bd):
    x = F.pad(bd, (1, 0))
    x = x.view(x.size(0), x.size(1), x.size(3), x.size(2))
    x = x[:, :, 1:, :]
    return x.view_as(bd)
""",
        # Graph attention (GAT): heads split off a projection of width heads * features with a leading -1,
        # attention applied per head by bmm, and the (heads, nodes, features) result permuted back before
        # merging; the per-head scores (keepdim) permuted, not reshaped.
        """
import torch
import torch.nn as nn
class GATLayer(nn.Module):
    def __init__(self, fin, fout, nh):
        super().__init__()
        self.nh = nh
        self.fout = fout
        self.proj = nn.Linear(fin, nh * fout)
        self.a_trg = nn.Parameter(torch.zeros(1, nh, fout))
class GATLayerImp(GATLayer):
    def forward(self, x, mask):
        n = x.shape[0]
        h = self.proj(x).view(-1, self.nh, self.fout)
        trg = torch.sum(h * self.a_trg, dim=-1, keepdim=True).permute(1, 2, 0)
        att = torch.softmax(trg + mask, dim=-1)
        out = torch.bmm(att, h.transpose(0, 1)).permute(1, 0, 2)
        return out.reshape(n, self.nh * self.fout), out.reshape(n, -1)
""",
        # A leading -1 whose sizes are no known split of the projection keeps nothing: an input-sized view
        # of the bmm result is not judged; a leading dim viewed in after a size-1 keepdim dim is fine.
        """
import torch
import torch.nn as nn
class Layer(nn.Module):
    def __init__(self, fin, nh, fout):
        super().__init__()
        self.nh = nh
        self.fout = fout
        self.proj = nn.Linear(fin, 2 * nh * fout)
    def forward(self, x, att, nh):
        n = x.shape[0]
        h = self.proj(x).view(-1, self.nh, self.fout)
        s = h.sum(dim=0, keepdim=True)
        return h.transpose(0, 1).reshape(self.nh, n, self.fout), s.reshape(n, self.nh, self.fout)
""",
        # Two sizes naming the same dims stand for two dims of equal size: which is which is unknown (a
        # square attention map `(n, h * w, h * w)`; a weight's rows permuted within one dim and merged back);
        # a name unpacked twice (`b, h, w, h, w`) names no dim.
        """
import torch
n_heads = 32
dim = 4096
def attend(x):
    n, c, h, w = x.size()
    y = torch.sigmoid(x)
    return torch.bmm(x.view(n, c, h * w), y.view(n, h * w, h * w)).view(n, c, h, w)
def unpermute(w):
    return w.view(n_heads, 2, dim // n_heads // 2, dim).transpose(1, 2).reshape(dim, dim)
def corr_loss(corr):
    b, h, w, h, w = corr.shape
    return corr.reshape(-1, h * w, h * w)
""",
        # A size-1 dim may sit anywhere: viewed in as a `1` and moved by the permute (YOLOX's head), or the
        # width-1 output of a linear layer left behind a `-1` (additive attention scores).
        """
import torch
import torch.nn as nn
def decode(output, n_ch):
    batch_size = output.shape[0]
    hsize, wsize = output.shape[-2:]
    output = output.view(batch_size, 1, n_ch, hsize, wsize)
    return output.permute(0, 1, 3, 4, 2).reshape(batch_size, hsize * wsize, -1)
class Additive(nn.Module):
    def __init__(self, hid):
        super().__init__()
        self.hid = hid
        self.alpha = nn.Linear(hid, 1)
    def forward(self, p, att_size):
        att = torch.tanh(p.view(-1, att_size, self.hid))
        return self.alpha(att.view(-1, self.hid)).view(-1, att_size)
""",
        # A -1 covering a dim of unknown size (the keys' count of a bmm) may hold the named size's dim by
        # value: `(B, N, N)` scores read as `(-1, N)`.
        """
import torch
def negatives(feat_q, feat_k, batch, dim):
    feat_q = feat_q.view(batch, -1, dim)
    feat_k = feat_k.view(batch, -1, dim)
    npatches = feat_q.size(1)
    return torch.bmm(feat_q, feat_k.transpose(2, 1)).view(-1, npatches)
""",
        # A factor computed from a dim but dividing its neighbour is that split's other part.
        """
import torch
def downsample(img):
    batch, channel, height, width = img.shape
    factor = height // 256
    return img.reshape(batch, channel, height // factor, factor, width // factor, factor).mean([3, 5])
""",
        # Transformer-XL's TF-style relative shift: two neighbours swapped, the first row of one dropped,
        # and the rest reshaped back.
        """
import torch
def rel_shift(x, klen):
    x_size = x.shape
    x = torch.reshape(x, [x_size[1], x_size[0], x_size[2], x_size[3]])
    x = x[1:, 0:, 0:, 0:]
    x = torch.reshape(x, [x_size[0], x_size[1] - 1, x_size[2], x_size[3]])
    return x[0:, 0:klen, 0:, 0:]
""",
        # Rank unknown, dim 1 swapped last and listed last: (N, ..., C) flattened to (N * ..., C); classes
        # moved first by a transpose of the first two dims.
        """
import torch
def flat(pre, y):
    rows = pre.transpose(1, -1).reshape(-1, pre.shape[1])
    cols = y.transpose(0, 1).reshape(y.shape[1], -1)
    return rows, cols, y.movedim(1, -1).reshape(-1, y.shape[1])
""",
        # Lambda layer: content (B, heads, H * W, dim_v) swapped to (B, heads, dim_v, H * W): the heads and
        # their width form the channels, in order (timm's fix).
        """
import torch
import torch.nn as nn
import torch.nn.functional as F
class LambdaLayer(nn.Module):
    def __init__(self, dim, num_heads=4, dim_head=16):
        super().__init__()
        self.num_heads = num_heads
        self.dim_k = dim_head
        self.dim_v = dim // num_heads
        self.qkv = nn.Conv2d(dim, num_heads * dim_head + dim_head + self.dim_v, kernel_size=1)
    def forward(self, x):
        B, C, H, W = x.shape
        M = H * W
        q, k, v = torch.split(self.qkv(x), [self.num_heads * self.dim_k, self.dim_k, self.dim_v], dim=1)
        q = q.reshape(B, self.num_heads, self.dim_k, M).transpose(-1, -2)
        v = v.reshape(B, self.dim_v, M).transpose(-1, -2)
        k = F.softmax(k.reshape(B, self.dim_k, M), dim=-1)
        out = q @ (k @ v).unsqueeze(1)
        return out.transpose(-1, -2).reshape(B, C, H, W)
""",
    ]
    INVALID: ClassVar[list[str | Invalid]] = [
        # A guard that says nothing about a unit dim keeps the layout known.
        Invalid(
            """
import torch
def merge(x, n_heads):
    b, n, d = x.shape
    if x.size(1) > 1:
        x = x.view(n, b, d)
    return x
""",
            line=6,
        ),
        # Lambda layer (timm before its fix): dims 3 and 1 of (B, heads, H * W, dim_v) swapped leave the
        # heads behind the positions; `k @ v` broadcast over the heads by `unsqueeze(1)`.
        Invalid(
            """
import torch
import torch.nn as nn
import torch.nn.functional as F
class LambdaLayer(nn.Module):
    def __init__(self, dim, num_heads=4, dim_head=16):
        super().__init__()
        self.num_heads = num_heads
        self.dim_k = dim_head
        self.dim_v = dim // num_heads
        self.qkv = nn.Conv2d(dim, num_heads * dim_head + dim_head + self.dim_v, kernel_size=1)
    def forward(self, x):
        B, C, H, W = x.shape
        M = H * W
        q, k, v = torch.split(self.qkv(x), [self.num_heads * self.dim_k, self.dim_k, self.dim_v], dim=1)
        q = q.reshape(B, self.num_heads, self.dim_k, M).transpose(-1, -2)
        v = v.reshape(B, self.dim_v, M).transpose(-1, -2)
        k = F.softmax(k.reshape(B, self.dim_k, M), dim=-1)
        out = q @ (k @ v).unsqueeze(1)
        return out.transpose(3, 1).reshape(B, C, H, W)
""",
            line=20,
        ),
        # Heads merged into the batch straight from the projection (a much-copied multi-head attention;
        # FuxiCTR's MultiHeadAttention before its fix): the view mixes positions and heads.
        Invalid(
            """
import torch.nn as nn
class MultiHeadAttention(nn.Module):
    def __init__(self, model_dim, num_heads):
        super().__init__()
        self.dim_per_head = model_dim // num_heads
        self.num_heads = num_heads
        self.linear_k = nn.Linear(model_dim, self.dim_per_head * num_heads)
    def forward(self, key):
        batch_size = key.size(0)
        key = self.linear_k(key)
        return key.view(batch_size * self.num_heads, -1, self.dim_per_head)
""",
            line=12,
        ),
        Invalid(
            """
import torch.nn as nn
class Attention(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.q_proj = nn.Linear(dim, dim)
    def forward(self, x):
        B, N, C = x.shape
        q = self.q_proj(x)
        return q.view(B * self.num_heads, -1, self.head_dim)
""",
            line=12,
        ),
        # A tensor of unknown rank with dim 1 swapped last (`transpose(1, -1)`), then reshaped with that dim
        # listed first: dim 0 is stored before it whatever the rank (one-hot targets in a confusion matrix;
        # real bug, fixed upstream by swapping dims 0 and 1 instead).
        Invalid(
            """
import torch
def update(y, y_pred):
    y_ohe_t = y.transpose(1, -1).reshape(y.shape[1], -1).float()
    return torch.matmul(y_ohe_t, y_pred)
""",
            line=4,
        ),
        Invalid(
            """
import torch
def classes_first(y):
    return y.movedim(1, -1).reshape(y.shape[1], -1)
""",
            line=4,
        ),
        # GAT with heads split off the projection by a leading -1 (the input's nodes stay first): the
        # (nodes, heads, 1) per-head scores reshaped to (heads, 1, nodes), and the (heads, nodes, features)
        # bmm result reshaped to (nodes, heads, features), both meant as permutes (pytorch-GAT imp2).
        Invalid(
            """
import torch
import torch.nn as nn
class GATLayer(nn.Module):
    def __init__(self, fin, fout, nh):
        super().__init__()
        self.nh = nh
        self.fout = fout
        self.proj = nn.Linear(fin, nh * fout)
        self.a_trg = nn.Parameter(torch.zeros(1, nh, fout))
class GATLayerImp(GATLayer):
    def forward(self, x, mask):
        n = x.shape[0]
        h = self.proj(x).view(-1, self.nh, self.fout)
        trg = torch.sum(h * self.a_trg, dim=-1, keepdim=True).reshape(self.nh, 1, n)
        return trg + mask
""",
            line=15,
        ),
        # The bmm result holds the heads first (from the operands) and the features last; listing the nodes
        # before the heads cannot be a merge or split, whatever the unknown attention's rows are.
        Invalid(
            """
import torch
def aggregate(x, att, nh, fout):
    n = x.shape[0]
    h = x.view(n, nh, fout)
    out = torch.bmm(att, h.transpose(0, 1))
    return out.reshape(n, nh, fout)
""",
            line=7,
        ),
        # A keepdim reduction keeps the rank: (n, nh, 1) listed as (nh, 1, n).
        Invalid(
            """
import torch
def scores(x, nh, fout):
    n = x.shape[0]
    h = x.view(n, nh, fout)
    return h.sum(dim=-1, keepdim=True).reshape(nh, 1, n)
""",
            line=6,
        ),
        # The same swap after a pad, but the result used as it is: rows and columns scrambled.
        Invalid(
            """
import torch.nn.functional as F
def scores(bd):
    x = F.pad(bd, (1, 0))
    x = x.view(x.size(0), x.size(1), x.size(3), x.size(2))
    return x.softmax(-1)
""",
            line=5,
        ),
        # Conv attention: (B, heads, H * W, head_dim) swapped to (B, H * W, heads, head_dim), then read as
        # (B, C, H, W): the heads and their width, stored after the positions, must come before them. The
        # sizes between B and H * W (`-1`, `self.dim_head`) split C; the positional bias built from q's
        # sizes keeps the logits' layout.
        Invalid(
            """
import torch
import torch.nn as nn
class PosBias(nn.Module):
    def forward(self, q):
        B, num_heads, HW, _ = q.shape
        return q.new_zeros(B, num_heads, HW, HW)
class ConvAttention(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.dim_head = dim // num_heads
        self.dim_out = dim
        self.qkv = nn.Conv2d(dim, dim * 3, 1)
        self.pos = PosBias()
    def forward(self, x):
        B, C, H, W = x.shape
        x = self.qkv(x).reshape(B, -1, self.dim_head, H * W).transpose(-1, -2)
        q, k, v = torch.split(x, self.num_heads, dim=1)
        logits = q @ k.transpose(-1, -2) + self.pos(q)
        out = logits.softmax(dim=-1) @ v
        return out.transpose(1, 2).reshape(B, self.dim_out, H, W)
""",
            line=22,
        ),
        # A dim split into (heads, width) is named whole later: its parts are not neighbours any more.
        Invalid(
            """
import torch
def heads(x):
    B, C, H, W = x.shape
    t = x.reshape(B, 4, C // 4, H * W).transpose(2, 3)
    return t.reshape(B, C, H, W)
""",
            line=6,
        ),
        # An embedded label map (B, C, H, W, dim), permuted so H and W swap, then read as (B, C * dim, H, W).
        Invalid(
            """
import torch.nn as nn
class LabelUNet(nn.Module):
    def __init__(self, num_classes, dim):
        super().__init__()
        self.dim = dim
        self.embedding = nn.Embedding(num_classes, dim)
    def forward(self, x):
        B, C, H, W = x.size()
        x = self.embedding(x).permute(0, 1, 3, 2, 4)
        return x.reshape(B, C * self.dim, H, W)
""",
            line=11,
        ),
        # Tokens from flatten(2) (B, C, H * W) read back as (B, H * W, C) without a transpose.
        Invalid(
            """
import torch
def tokens(x):
    B, C, H, W = x.shape
    t = torch.flatten(x, 2)
    return t.reshape(B, H * W, C)
""",
            line=6,
        ),
        Invalid(
            """
import torch
def f(x):
    b, c, h, w = x.shape
    return x.view(b, h, w, c)
""",
            line=5,
        ),
        Invalid(
            """
import torch
def f(x):
    return x.reshape(x.size(1), x.size(0), -1)
""",
            line=4,
        ),
        # The -1 stands for h * w, which is stored after c: a ViT patch embedding done wrong.
        Invalid(
            """
import torch
import torch.nn as nn
class PatchEmbed(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Conv2d(3, 64, 16, 16)
        self.norm = nn.LayerNorm(64)
    def forward(self, x):
        x = self.proj(x)
        B, C, H, W = x.shape
        x = x.reshape(B, -1, C)
        return self.norm(x)
""",
            line=12,
        ),
        # Sizes read through a shape tuple, after a transpose that the view then undoes by reshaping.
        Invalid(
            """
import torch
def f(x):
    s = x.size()
    y = x.transpose(1, 2)
    return torch.reshape(y, (s[0], s[1], s[2]))
""",
            line=6,
        ),
        # Splitting channels into heads with the heads placed before the time dim: needs a transpose.
        Invalid(
            """
import torch.nn as nn
class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
    def forward(self, x):
        B, T, C = x.shape
        q = self.q(x).view(B, self.heads, T, C // self.heads)
        return q
""",
            line=10,
        ),
        Invalid(
            """
import torch
def f(x):
    T, B, D = x.shape
    out = x.view(B, T, D)
    return out
""",
            line=5,
        ),
        # The heads are split off by a reshape and moved before the time dim; a helper returns the attention
        # output in that layout, and the merge forgets to move the heads back (real bug, fixed upstream).
        Invalid(
            """
import torch
import torch.nn as nn
import torch.nn.functional as F
def scaled_dot_product(q, k, v):
    scores = torch.matmul(q, k.transpose(-1, -2))
    return torch.matmul(F.softmax(scores, dim=-1), v), scores
class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = d_model // num_heads
        self.qkv_layer = nn.Linear(d_model, 3 * d_model)
    def forward(self, x):
        batch_size, sequence_length, d_model = x.size()
        qkv = self.qkv_layer(x)
        qkv = qkv.reshape(batch_size, sequence_length, self.num_heads, 3 * self.head_dim)
        qkv = qkv.permute(0, 2, 1, 3)
        q, k, v = qkv.chunk(3, dim=-1)
        values, attention = scaled_dot_product(q, k, v)
        return values.reshape(batch_size, sequence_length, self.num_heads * self.head_dim)
""",
            line=21,
        ),
        # A size bound to a product of dims (`num_pixels = h * w`): channels moved behind the pixels by a view
        # (real bug, fixed upstream with a permute).
        Invalid(
            """
import torch.nn as nn
class Encoder(nn.Module):
    def forward(self, images):
        encoded_image = self.resnet(images)
        batch_size = encoded_image.shape[0]
        features = encoded_image.shape[1]
        num_pixels = encoded_image.shape[2] * encoded_image.shape[3]
        return encoded_image.view(batch_size, num_pixels, features)
""",
            line=9,
        ),
        # Per-head outputs stored heads-first in a zeros buffer, then merged as if batch came first.
        Invalid(
            """
import torch
import torch.nn as nn
class SelfAttention(nn.Module):
    def forward(self, x):
        batch_size = x.shape[0]
        l = x.shape[1]
        heads = torch.zeros(self.n_heads, batch_size, l, self.value_dim)
        for i in range(self.n_heads):
            heads[i] = self.head(i, x)
        return heads.view(batch_size, l, -1)
""",
            line=11,
        ),
        # Head width set in __init__: (B, T, C) viewed straight into (B, nh, T, hd).
        Invalid(
            """
import torch.nn as nn
class Attention(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.n_heads = n_heads
        self.head_dim = d_model // n_heads
    def forward(self, x):
        B, T, C = x.shape
        return x.view(B, self.n_heads, T, self.head_dim)
""",
            line=10,
        ),
        # q, k, v unbound from a permuted projection; heads merged back without the transpose.
        Invalid(
            """
import torch
def attend(x, h):
    b, n, d = x.shape
    hd = d // h
    q, k, v = x.reshape(b, n, 3, h, hd).permute(2, 0, 3, 1, 4).unbind(0)
    out = (q @ k.transpose(-2, -1)).softmax(dim=-1) @ v
    return out.reshape(b, n, d)
""",
            line=8,
        ),
        # Joined along the channels, then viewed as (b, positions, channels) without moving them.
        Invalid(
            """
import torch
def tokens(x, skip):
    b, c, h, w = x.shape
    feats = torch.cat([x, skip], dim=1)
    return feats.view(b, h * w, -1)
""",
            line=6,
        ),
        # Heads stacked into the batch dim by `repeat` (heads outermost), attention run by a submodule with
        # bmm, then merged as if batch came first: rows of different heads and samples mix (real bug).
        Invalid(
            """
import torch
import torch.nn as nn
class DotAttention(nn.Module):
    def forward(self, q, k, v):
        attn = torch.softmax(torch.bmm(q, k.transpose(1, 2)), dim=-1)
        return torch.bmm(attn, v), attn
class StackedHeads(nn.Module):
    def __init__(self, n_head, d_model, d_k):
        super().__init__()
        self.n_head = n_head
        self.w = nn.Parameter(torch.randn(n_head, d_model, d_k))
        self.attention = DotAttention()
    def forward(self, x):
        n_head = self.n_head
        batch, length, d_model = x.size()
        s = x.repeat(n_head, 1, 1).view(n_head, -1, d_model)
        s = torch.bmm(s, self.w).view(-1, length, self.w.size(2))
        out, attn = self.attention(s, s, s)
        return out.view(batch, length, -1)
""",
            line=20,
        ),
        # Heads moved into the batch dim batch-major (`B * nh`) by helper methods of the class, then read
        # back as if heads came first (real bug).
        Invalid(
            """
import torch
import torch.nn as nn
class HeadsInBatch(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.proj = nn.Linear(dim, dim)
    def split(self, batch_size, t):
        t = t.view(batch_size, -1, self.num_heads, self.head_dim).permute(0, 2, 1, 3)
        return t.contiguous().view(batch_size * self.num_heads, -1, self.head_dim)
    def forward(self, x):
        batch_size = x.size(0)
        q = self.split(batch_size, self.proj(x))
        out = torch.bmm(torch.softmax(torch.bmm(q, q.transpose(1, 2)), -1), q)
        out = out.view(self.num_heads, batch_size, -1, self.head_dim)
        return out.permute(1, 2, 0, 3).contiguous().view(batch_size, -1, self.num_heads * self.head_dim)
""",
            line=17,
        ),
        # Cross-attention: queries from another tensor, sized by the first one's dims; the merge forgets to
        # move the heads back (real bug).
        Invalid(
            """
import torch
import torch.nn as nn
class CrossAttention(nn.Module):
    def __init__(self, d_model, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = d_model // num_heads
        self.kv = nn.Linear(d_model, 2 * d_model)
        self.q = nn.Linear(d_model, d_model)
    def forward(self, x, y):
        batch_size, length, d_model = x.size()
        kv = self.kv(x).reshape(batch_size, length, self.num_heads, 2 * self.head_dim).permute(0, 2, 1, 3)
        q = self.q(y).reshape(batch_size, length, self.num_heads, self.head_dim).permute(0, 2, 1, 3)
        k, v = kv.chunk(2, dim=-1)
        values = torch.matmul(torch.softmax(torch.matmul(q, k.transpose(-1, -2)), dim=-1), v)
        return values.reshape(batch_size, length, d_model)
""",
            line=17,
        ),
        # bmm attention over (b * h) rows: heads split off the rows, then merged without moving them back.
        Invalid(
            """
import torch
def attend(x, h):
    b, n, d = x.shape
    q = x.reshape(b, n, h, d // h).transpose(1, 2).reshape(b * h, n, d // h)
    out = torch.bmm(torch.bmm(q, q.transpose(1, 2)).softmax(-1), q)
    return out.reshape(b, h, n, d // h).reshape(b, n, d)
""",
            line=7,
        ),
    ]

    def visit_Call(self, node: cst.Call) -> None:
        facts = self.ctx.shapes.view(node) if self.ctx.shapes.is_view_call(node) else None
        if facts is None or not facts.reorders:
            return
        method = node.func.attr.value if isinstance(node.func, cst.Attribute) else "reshape"
        source = self.ctx.module.code_for_node(facts.receiver)
        source = f"`{source}`" if len(source) <= 40 else "its source"
        if facts.heads_ahead:
            self.report(
                node,
                f"This `{method}` merges the heads, which are part of the last dim of {source}, into the "
                "batch in front of the positions, so each head's row mixes positions and heads; view it as "
                "(batch, -1, heads, head_dim) and `transpose(1, 2)` before merging.",
            )
            return
        self.report(
            node,
            f"This `{method}` lists the dims of {source} in another order than they are stored, which "
            "scrambles data instead of transposing it; `permute` the dims first, then reshape.",
        )
