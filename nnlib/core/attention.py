"""Attention: scaled dot-product attention (forward and backward), multi-head attention, positional encoding.

Notebook 20 derives everything here: section 3 the scaled dot-product attention and its backward
(the softmax Jacobian through the scores, the 1/sqrt(d) scaling), section 4 masks, section 5 the
heads, section 6 the sinusoidal positional encoding (Vaswani et al., 2017).

Symbols: N = batch size, L = target (query) length, S = source (key/value) length, E = embed_dim,
H = num_heads, d = E / H (one head's width).

Masks follow ``torch.nn.MultiheadAttention``: a BOOLEAN mask marks with True the positions that
may NOT be attended to; a FLOAT mask is added to the scores (0 keeps a position, -inf removes it).
(``torch.nn.functional.scaled_dot_product_attention`` reads a boolean mask the other way round,
True = may attend; here one convention holds everywhere.)
"""
import math

from nnlib._base import BaseModule as Module
from nnlib._base import Parameter
from nnlib._checks import describe
from nnlib.core.namespace import array_namespace, backend_class, manual_backward
from nnlib.random import uniform

__all__ = [
    "scaled_dot_product_attention",
    "scaled_dot_product_attention_backward",
    "sinusoidal_positional_encoding",
    "MultiheadAttention",
]


def _is_bool(xp, a):
    """A boolean array (NumPy's dtype prints as 'bool', torch's as 'torch.bool')."""
    return str(a.dtype).endswith("bool")


def additive_mask(mask, dtype):
    """A mask as scores to add: a boolean mask (True = not allowed) becomes -inf where True and 0 elsewhere;
    a float mask is returned as it is (cast to ``dtype``)."""
    xp = array_namespace(mask)
    if _is_bool(xp, mask):
        zeros = xp.zeros(tuple(mask.shape), dtype=dtype, device=mask.device)
        return xp.where(mask, float("-inf"), zeros)
    return xp.astype(mask, dtype)


def scaled_dot_product_attention(q, k, v, attn_mask=None):
    """Attention(Q, K, V) = softmax(Q K^T / sqrt(d) + M) V  (Vaswani et al., 2017, eq. 1).

    q: (*, L, d), k: (*, S, d), v: (*, S, d_v); attn_mask: broadcastable to (*, L, S), boolean (True = not
    allowed) or float (added to the scores). Returns ``(out, weights)``: out (*, L, d_v) and the attention
    weights A = softmax(scores) (*, L, S), each row a probability distribution over the S keys.

    Unlike ``torch.nn.functional.scaled_dot_product_attention`` (which returns ``out`` only) it returns the
    weights too: they are what we look at, and what :func:`scaled_dot_product_attention_backward` needs.
    A row whose every key is masked has no distribution to take: its weights are NaN, as in torch.
    """
    xp = array_namespace(q)
    scores = q @ k.swapaxes(-1, -2) / math.sqrt(q.shape[-1])
    if attn_mask is not None:
        scores = scores + additive_mask(attn_mask, scores.dtype)
    # subtracting the row maximum keeps exp from overflowing; it cancels in the ratio
    e = xp.exp(scores - xp.amax(scores, axis=-1, keepdims=True))
    weights = e / e.sum(axis=-1, keepdims=True)
    return weights @ v, weights


@manual_backward
def scaled_dot_product_attention_backward(d_out, q, k, v, weights, d_weights=None):
    """Gradients of attention's inputs, from d_out (*, L, d_v) (and d_weights (*, L, S) if the weights
    themselves reach the loss). With A = weights and P = Q K^T / sqrt(d) the scaled scores:

        dV = A^T dOut                          (out = A V)
        dA = dOut V^T (+ d_weights)
        dP = A * (dA - sum_j(dA * A))          (softmax's Jacobian, row by row: dP_ij = A_ij (dA_ij - sum_k dA_ik A_ik))
        dQ = dP K / sqrt(d),   dK = dP^T Q / sqrt(d)

    An additive mask is a constant: it passes dP unchanged to the raw scores and gets no gradient; a masked
    position has A = 0, so its dP is 0 too. Returns ``(dq, dk, dv)`` shaped like q, k, v. Notebook 20, section 3.
    """
    dv = weights.swapaxes(-1, -2) @ d_out
    d_a = d_out @ v.swapaxes(-1, -2)
    if d_weights is not None:
        d_a = d_a + d_weights
    d_scores = weights * (d_a - (d_a * weights).sum(axis=-1, keepdims=True))
    # a fully masked row has NaN weights (as torch); elsewhere A = 0 where masked, so dP = 0 there
    scale = 1 / math.sqrt(q.shape[-1])
    return d_scores @ k * scale, d_scores.swapaxes(-1, -2) @ q * scale, dv


def sinusoidal_positional_encoding(length, d_model, xp=None, dtype=None, device=None):
    """The sinusoidal positional encoding of Vaswani et al. (2017), section 3.5:

        PE[pos, 2i] = sin(pos / 10000^(2i / d_model)),   PE[pos, 2i + 1] = cos(pos / 10000^(2i / d_model))

    Returns an array (length, d_model), added to the token embeddings so that attention, which by itself is
    blind to order, can tell positions apart. Each pair of columns is a rotation at its own frequency, so
    PE[pos + k] is a fixed linear function of PE[pos] for every offset k. ``xp`` chooses the backend
    (NumPy's by default; ``xp=nnlib.torch.xp`` for a tensor, on ``device``); float64 unless ``dtype`` is given.
    """
    if d_model < 2 or d_model % 2:
        raise ValueError(f"sinusoidal_positional_encoding expects an even d_model >= 2, got {d_model}")
    xp = array_namespace(None) if xp is None else xp
    dtype = xp.float64 if dtype is None else dtype
    pos = xp.asarray([[float(p)] for p in range(length)], dtype=dtype, device=device)  # (length, 1)
    rates = xp.asarray([10000.0 ** (-2 * i / d_model) for i in range(d_model // 2)], dtype=dtype, device=device)
    angles = pos * rates  # (length, d_model / 2)
    # interleave: column 2i is the sine, column 2i + 1 the cosine of the same angle
    return xp.stack([xp.sin(angles), xp.cos(angles)], axis=-1).reshape(length, d_model)


class MultiheadAttention(Module):
    """Multi-head attention (Vaswani et al., 2017, section 3.2.2), with ``torch.nn.MultiheadAttention``'s
    parameters, masks and outputs.  query: (N, L, E), key: (N, S, E), value: (N, S, E) -> (N, L, E).

    Each of the H heads projects the inputs to d = E / H numbers and attends on its own::

        Q = query W_q^T + b_q,  K = key W_k^T + b_k,  V = value W_v^T + b_v        (all heads at once, (N, *, E))
        head_h = softmax(Q_h K_h^T / sqrt(d) + M) V_h                                  (Q_h: its d columns)
        output = concat(head_1, ..., head_H) W_o^T + b_o

    Parameters (torch's names): ``in_proj_weight`` (3E, E) = [W_q; W_k; W_v] (Xavier-uniform),
    ``in_proj_bias`` (3E,) (zeros), ``out_proj.weight`` (E, E), ``out_proj.bias`` (E,) (zeros).

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True)`` returns ``(output, weights)`` as torch does: weights (N, L, S) averaged over
    the heads, (N, H, L, S) with ``average_attn_weights=False``, None with ``need_weights=False``.
    ``attn_mask``: (L, S) or (N*H, L, S); ``key_padding_mask``: (N, S) (True = a padding key: ignore it).
    Boolean masks mark forbidden positions with True; float masks are added to the scores.

    ``backward(d_output, d_weights=None)`` returns ``(dquery, dkey, dvalue)`` and adds every parameter's
    gradient. In self-attention (query is key is value) the input reaches the output along three paths,
    so its gradient is their SUM: ``dx = sum(mha.backward(dy))``. (torch's autograd adds them for you.)

    Differs from torch on purpose: ``batch_first=True`` is the default and the only layout (as our
    recurrent layers); no dropout on the weights, no ``kdim``/``vdim``, ``add_bias_kv``, ``add_zero_attn``
    and no unbatched (L, E) input: each raises a clear error.

    >>> import numpy as np, nnlib, nnlib.numpy as nn
    >>> _ = nnlib.manual_seed(0)
    >>> mha = nn.MultiheadAttention(embed_dim=8, num_heads=2)
    >>> x = np.random.default_rng(0).standard_normal((3, 5, 8))      # N=3 sequences of L=5 tokens
    >>> out, w = mha(x, x, x, attn_mask=mha.causal_mask(5))             # self-attention, no peeking ahead
    >>> out.shape, w.shape, bool(np.allclose(w.sum(-1), 1)), bool((np.triu(w[0], 1) == 0).all())
    ((3, 5, 8), (3, 5, 5), True, True)
    >>> dx = sum(mha.backward(np.ones_like(out)))                      # self-attention: add the three paths
    >>> dx.shape
    (3, 5, 8)
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=True, device=None, dtype=None):
        name = "MultiheadAttention"
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"{name}: embed_dim and num_heads must be positive, got {embed_dim} and {num_heads}")
        if embed_dim % num_heads:
            raise ValueError(
                f"{name}: embed_dim must be divisible by num_heads (each head gets embed_dim / num_heads numbers), "
                f"got embed_dim={embed_dim}, num_heads={num_heads}"
            )
        if dropout != 0:
            raise ValueError(f"{name}: dropout on the attention weights is not implemented here; got dropout={dropout!r}, use 0.0")
        if add_bias_kv or add_zero_attn:
            raise ValueError(f"{name}: add_bias_kv and add_zero_attn are not implemented here; leave them False")
        if (kdim is not None and kdim != embed_dim) or (vdim is not None and vdim != embed_dim):
            raise ValueError(f"{name}: keys and values must have embed_dim={embed_dim} features, got kdim={kdim}, vdim={vdim}")
        if batch_first is not True:
            raise ValueError(
                f"{name} supports batch_first=True only (inputs (N, L, E)), got batch_first={batch_first!r}. "
                f"Put sequence-major data (L, N, E) in that order with x.swapaxes(0, 1)"
            )
        xp = self.xp
        dtype, device = xp.resolve_dtype(dtype, device)
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.dropout, self.batch_first = 0.0, True
        bound = math.sqrt(6 / (embed_dim + 3 * embed_dim))  # Xavier-uniform over the (3E, E) matrix, as torch
        self.in_proj_weight = Parameter(xp.asarray(uniform(-bound, bound, (3 * embed_dim, embed_dim)), dtype=dtype, device=device))
        self.in_proj_bias = Parameter(xp.zeros(3 * embed_dim, dtype=dtype, device=device)) if bias else None
        self.out_proj = backend_class(self, "Linear")(embed_dim, embed_dim, bias=bias, device=device, dtype=dtype)
        if bias:
            xp.fill_(self.out_proj.bias.data, 0.0)  # torch starts both biases at zero

    @classmethod
    def causal_mask(cls, length, device=None):
        """The (length, length) boolean mask that forbids looking ahead: True above the diagonal, so position i
        attends to positions j <= i only (notebook 20, section 4). On the backend's default device unless told;
        pass it as ``attn_mask``. (``torch.nn.Transformer.generate_square_subsequent_mask`` is its float twin:
        -inf where this is True.)"""
        _, device = cls.xp.resolve_dtype(None, device)
        i = cls.xp.arange(length, device=device)
        return i[None, :] > i[:, None]

    # --- checks ----------------------------------------------------------------------------------
    def _check_inputs(self, query, key, value):
        w = self.in_proj_weight.data
        for name, a in (("query", query), ("key", key), ("value", value)):
            self.xp.check_array(self, a, w.dtype, w.device, name=name)
            if a.ndim != 3 or a.shape[-1] != self.embed_dim:
                raise ValueError(
                    f"{describe(self)} expects {name} of shape (N, {'L' if name == 'query' else 'S'}, "
                    f"{self.embed_dim}) (batch_first), got shape {tuple(a.shape)}"
                )
        if query.shape[0] != key.shape[0] or key.shape[0] != value.shape[0]:
            raise ValueError(
                f"{describe(self)}: query, key and value must have the same batch size N, got "
                f"{query.shape[0]}, {key.shape[0]}, {value.shape[0]}"
            )
        if key.shape[1] != value.shape[1]:
            raise ValueError(
                f"{describe(self)}: key and value must have the same sequence length S (one value per key), "
                f"got key {tuple(key.shape)} and value {tuple(value.shape)}"
            )

    def _check_mask(self, mask, name, dtype):
        """A mask is an array of the backend, on the parameters' device: boolean, or floating of their dtype."""
        xp, w = self.xp, self.in_proj_weight.data
        if not xp.is_array(mask):
            raise TypeError(f"{describe(self)} expects {name} as {xp.ARRAY}, got {type(mask).__name__}")
        if not _is_bool(xp, mask):
            xp.check_array(self, mask, dtype, w.device, name=name + " (boolean, or float to add to the scores)")
        else:
            xp.check_array(self, xp.astype(mask, dtype), dtype, w.device, name=name)

    def _combined_mask(self, attn_mask, key_padding_mask, N, L, S, dtype):
        """Both masks as one additive array broadcastable to (N, H, L, S), or None."""
        H, mask = self.num_heads, None
        if attn_mask is not None:
            self._check_mask(attn_mask, "attn_mask", dtype)
            shape = tuple(attn_mask.shape)
            if shape == (L, S):
                mask = additive_mask(attn_mask, dtype)  # the same for every sequence and head
            elif shape == (N * H, L, S):
                mask = additive_mask(attn_mask, dtype).reshape(N, H, L, S)
            else:
                raise ValueError(
                    f"{describe(self)} expects attn_mask of shape (L, S) = {(L, S)} or (N*num_heads, L, S) = "
                    f"{(N * H, L, S)}, got {shape}"
                )
        if key_padding_mask is not None:
            self._check_mask(key_padding_mask, "key_padding_mask", dtype)
            if tuple(key_padding_mask.shape) != (N, S):
                raise ValueError(
                    f"{describe(self)} expects key_padding_mask of shape (N, S) = {(N, S)}, got {tuple(key_padding_mask.shape)}"
                )
            padding = additive_mask(key_padding_mask, dtype).reshape(N, 1, 1, S)
            mask = padding if mask is None else mask + padding
        return mask

    # --- forward and backward ---------------------------------------------------------------------
    def _split_heads(self, x):
        """(N, T, E) -> (N, H, T, d)."""
        N, T, _ = x.shape
        return x.reshape(N, T, self.num_heads, self.head_dim).swapaxes(1, 2)

    def _merge_heads(self, x):
        """(N, H, T, d) -> (N, T, E)."""
        N, _, T, _ = x.shape
        return x.swapaxes(1, 2).reshape(N, T, self.embed_dim)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True):
        self._check_inputs(query, key, value)
        N, L, E = query.shape
        S = key.shape[1]
        mask = self._combined_mask(attn_mask, key_padding_mask, N, L, S, query.dtype)
        w, b = self.in_proj_weight.data, self.in_proj_bias
        w_q, w_k, w_v = w[:E], w[E:2 * E], w[2 * E:]
        q, k, v = query @ w_q.T, key @ w_k.T, value @ w_v.T
        if b is not None:
            q, k, v = q + b.data[:E], k + b.data[E:2 * E], v + b.data[2 * E:]
        heads, weights = scaled_dot_product_attention(self._split_heads(q), self._split_heads(k), self._split_heads(v), mask)
        out = self.out_proj(self._merge_heads(heads))
        self._inputs, self._heads = (query, key, value), (self._split_heads(q), self._split_heads(k), self._split_heads(v), weights)
        self._averaged = need_weights and average_attn_weights
        if not need_weights:
            return out, None
        return out, (weights.mean(axis=1) if average_attn_weights else weights)

    def backward(self, d_output, d_weights=None):
        """d_output: (N, L, E) [, d_weights: like the weights returned] -> (dquery, dkey, dvalue).

        Back through the output projection (a Linear), the heads' attention
        (:func:`scaled_dot_product_attention_backward`), then the input projections: with dQ the gradient
        of Q = query W_q^T + b_q, dW_q = dQ^T query, db_q = sum of dQ over N and L, dquery = dQ W_q (and
        likewise for K and V). A gradient of the head-averaged weights reaches each head divided by H.
        """
        query, key, value = self._inputs
        q, k, v, weights = self._heads
        if tuple(d_output.shape) != tuple(query.shape):
            raise ValueError(f"{describe(self)}.backward expects d_output of shape {tuple(query.shape)}, got {tuple(d_output.shape)}")
        d_heads = self._split_heads(self.out_proj.backward(d_output))
        if d_weights is not None:
            d_weights = d_weights[:, None] / self.num_heads if self._averaged else d_weights
        dq, dk, dv = scaled_dot_product_attention_backward(d_heads, q, k, v, weights, d_weights)
        dq, dk, dv = self._merge_heads(dq), self._merge_heads(dk), self._merge_heads(dv)
        E, xp = self.embed_dim, self.xp
        flat = lambda a: a.reshape(-1, E)
        self.in_proj_weight.accumulate(xp.concatenate(
            [flat(dq).T @ flat(query), flat(dk).T @ flat(key), flat(dv).T @ flat(value)], axis=0))
        if self.in_proj_bias is not None:
            self.in_proj_bias.accumulate(xp.concatenate([flat(dq).sum(axis=0), flat(dk).sum(axis=0), flat(dv).sum(axis=0)]))
        w = self.in_proj_weight.data
        return dq @ w[:E], dk @ w[E:2 * E], dv @ w[2 * E:]

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, bias={self.in_proj_bias is not None}, batch_first=True"
