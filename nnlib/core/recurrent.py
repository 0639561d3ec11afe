"""Recurrent layers: RNN, LSTM, GRU (and their one-step cells) and Embedding.

Every recurrence is written once, as a pair of step functions in the style of CS231n:
``*_cell_forward(xw, h, ...) -> (new state, cache)`` and ``*_cell_backward(d_state, cache, ...)``.
``xw = x_t W_ih^T + b_ih`` is the input's contribution to the gates: it does not depend on the
hidden state, so the sequence layers compute it for all time steps in one matrix product and only
loop over time for the part that does. The cells (one step) and the layers (a whole sequence,
backpropagation through time) both call these step functions. Notebook 15 derives backpropagation
through time (section 3) and truncates it (section 6); notebook 16 derives the LSTM step's backward
(section 3; the GRU's is its Exercise 4) and stacks layers and directions (section 6).

Layouts follow ``torch.nn`` with ``batch_first=True``: x (N, T, C) -> out (N, T, D*H), states
(L*D, N, H) for L = ``num_layers`` and D = 2 if ``bidirectional`` else 1; weights ``weight_ih_l0``
(gates*H, C), ``weight_hh_l0`` (gates*H, H), then ``..._l0_reverse``, ``..._l1`` (gates*H, D*H), ...;
gate order i, f, g, o (LSTM) and r, z, n (GRU). torch's ``dropout`` between layers is supported
(its random masks are nnlib's, so only dropout=0 or eval mode can match torch number for number).
"""
import math
import numbers
import warnings

from nnlib._base import BaseModule as Module
from nnlib._base import Parameter
from nnlib._checks import check_count, check_ndim, check_size, describe
from nnlib.core.namespace import array_namespace
from nnlib.random import normal, uniform

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU", "Embedding"]


# --- the step functions: one time step of each recurrence, forward and backward ----------------
def rnn_cell_forward(xw, h, w_hh, b_hh, nonlinearity="tanh"):
    """RNN step: h' = act(xw + h W_hh^T + b_hh), act = tanh or relu.  xw: (N, H), h: (N, H) -> h': (N, H).

    Returns ``(h', cache)``; the derivative of either activation needs only h'.
    """
    a = xw + h @ w_hh.T
    if b_hh is not None:
        a = a + b_hh
    h_new = array_namespace(a).tanh(a) if nonlinearity == "tanh" else a.clip(min=0)
    return h_new, h_new


def rnn_cell_backward(dh_new, cache, w_hh, nonlinearity="tanh"):
    """dh': (N, H) -> (da, dh), with a = xw + h W_hh^T + b_hh the pre-activation:

        da = dh' * act'(a)   (tanh: 1 - h'^2; relu: 1 where h' > 0)
        dh = da W_hh

    da is the gradient of both products (input and hidden); notebook 15, section 3.
    """
    h_new = cache
    da = dh_new * (1 - h_new * h_new) if nonlinearity == "tanh" else dh_new * (h_new > 0)
    return da, da @ w_hh


def lstm_cell_forward(xw, h, c, w_hh, b_hh):
    """LSTM step: [i, f, g, o] = [sig, sig, tanh, sig](xw + h W_hh^T + b_hh); c' = f c + i g; h' = o tanh(c').

    xw: (N, 4H), h, c: (N, H) -> h', c': (N, H). Returns ``(h', c', cache)``.
    """
    xp = array_namespace(xw)
    a = xw + h @ w_hh.T
    if b_hh is not None:
        a = a + b_hh
    i, f, g, o = xp.split(a, 4, axis=-1)
    i, f, g, o = xp.sigmoid(i), xp.sigmoid(f), xp.tanh(g), xp.sigmoid(o)
    c_new = f * c + i * g
    tanh_c = xp.tanh(c_new)
    h_new = o * tanh_c
    return h_new, c_new, (c, i, f, g, o, tanh_c)


def lstm_cell_backward(dh_new, dc_new, cache, w_hh):
    """dh', dc': (N, H) -> (da, dh, dc). With sig' = sig (1 - sig) and tanh' = 1 - tanh^2:

        dc_total = dc' + dh' * o * (1 - tanh(c')^2)      (c' reaches the loss directly and through h')
        da_i = dc_total * g * i (1 - i)      da_f = dc_total * c * f (1 - f)
        da_g = dc_total * i * (1 - g^2)      da_o = dh' * tanh(c') * o (1 - o)
        dh = da W_hh,  dc = dc_total * f

    da = [da_i, da_f, da_g, da_o] (N, 4H) is the gradient of the gates' pre-activations (the same
    for the input and the hidden products). Notebook 16, section 3 derives it line by line.
    """
    c, i, f, g, o, tanh_c = cache
    dc_total = dc_new + dh_new * o * (1 - tanh_c * tanh_c)
    da = array_namespace(dc_total).concatenate(
        [
            dc_total * g * i * (1 - i),  # input gate
            dc_total * c * f * (1 - f),  # forget gate
            dc_total * i * (1 - g * g),  # candidate
            dh_new * tanh_c * o * (1 - o),  # output gate
        ],
        axis=1,
    )
    return da, da @ w_hh, dc_total * f


def gru_cell_forward(xw, h, w_hh, b_hh):
    """GRU step (torch's form): r, z = sig(xw_rz + hw_rz); n = tanh(xw_n + r * hw_n); h' = (1 - z) n + z h,
    where hw = h W_hh^T + b_hh.  xw: (N, 3H), h: (N, H) -> h': (N, H). Returns ``(h', cache)``.

    The reset gate multiplies W_hn h + b_hn (not h), as in torch.nn.GRU and cuDNN.
    """
    xp = array_namespace(xw)
    hw = h @ w_hh.T
    if b_hh is not None:
        hw = hw + b_hh
    xw_r, xw_z, xw_n = xp.split(xw, 3, axis=-1)
    hw_r, hw_z, hw_n = xp.split(hw, 3, axis=-1)
    r, z = xp.sigmoid(xw_r + hw_r), xp.sigmoid(xw_z + hw_z)
    n = xp.tanh(xw_n + r * hw_n)
    h_new = n + z * (h - n)
    return h_new, (h, r, z, n, hw_n)


def gru_cell_backward(dh_new, cache, w_hh):
    """dh': (N, H) -> (d_xw, d_hw, dh):

        dn = dh' * (1 - z) * (1 - n^2)      dr = dn * hw_n * r (1 - r)      dz = dh' * (h - n) * z (1 - z)
        d_xw = [dr, dz, dn],  d_hw = [dr, dz, dn * r],  dh = dh' * z + d_hw W_hh

    the gradients of the input products xw (N, 3H), of the hidden products hw (N, 3H) (they differ
    in the n block, where hw_n is scaled by r) and of h. Notebook 16, Exercise 4 derives it.
    """
    h, r, z, n, hw_n = cache
    dn = dh_new * (1 - z) * (1 - n * n)  # through the tanh of the candidate
    dr = dn * hw_n * r * (1 - r)
    dz = dh_new * (h - n) * z * (1 - z)
    xp = array_namespace(dn)
    d_xw = xp.concatenate([dr, dz, dn], axis=1)
    d_hw = xp.concatenate([dr, dz, dn * r], axis=1)
    return d_xw, d_hw, dh_new * z + d_hw @ w_hh


def _data(p):
    """A Parameter's array, or None for a missing bias."""
    return None if p is None else p.data


# --- what the cells and the layers share: parameters, checks, the two big products -------------
class _Recurrent(Module):
    """Parameters ``weight_ih{suffix}`` (gates*H, C), ``weight_hh{suffix}`` (gates*H, H) and the two
    biases, for each suffix in ``self._suffixes`` (a cell: ``""``; a layer: ``"_l0"``, ``"_l0_reverse"``,
    ``"_l1"``, ...), all drawn from U(-1/sqrt(H), 1/sqrt(H)) in torch's order."""

    _gates = 1
    _suffixes = ("",)

    def _make_weights(self, suffix, input_size, bias, dtype, device):
        G, bound = self._gates * self.hidden_size, 1 / math.sqrt(self.hidden_size)
        shapes = {"weight_ih": (G, input_size), "weight_hh": (G, self.hidden_size)}
        if bias:
            shapes.update(bias_ih=(G,), bias_hh=(G,))
        for name, shape in shapes.items():
            values = uniform(-bound, bound, shape)
            setattr(self, name + suffix, Parameter(self.xp.asarray(values, dtype=dtype, device=device)))

    def _weights(self, suffix=None):
        """(weight_ih, weight_hh, bias_ih, bias_hh) of ``suffix`` (the first one by default) as
        Parameters; the biases are None without bias."""
        s = self._suffixes[0] if suffix is None else suffix
        return tuple(getattr(self, name + s, None) for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    def _check_input(self, x, ndim, layout):
        w_ih = self._weights()[0]
        self.xp.check_array(self, x, w_ih.data.dtype, w_ih.data.device)
        check_ndim(self, x, ndim, layout)
        check_size(self, x, -1, self.input_size, "features")

    def _check_state(self, h, shape, name):
        w_ih = self._weights()[0]
        self.xp.check_array(self, h, w_ih.data.dtype, w_ih.data.device, name=name)
        if tuple(h.shape) != shape:
            raise ValueError(f"{describe(self)} expects {name} of shape {shape}, got {tuple(h.shape)}")

    def _input_products(self, x, suffix=None):
        """xw = x W_ih^T + b_ih for every row of x at once: x (*, C) -> (*, gates*H)."""
        w_ih, _, b_ih, _ = self._weights(suffix)
        xw = x @ w_ih.data.T
        return xw + b_ih.data if b_ih is not None else xw

    def _accumulate(self, x, h_prev, d_xw, d_hw=None, suffix=None):
        """Add the parameter gradients, summed over every row (all sequences, all time steps) in one
        matrix product each, and return dx = d_xw W_ih.  x: (*, C), h_prev: (*, H), d_xw, d_hw: (*, gates*H)."""
        d_hw = d_xw if d_hw is None else d_hw
        w_ih, w_hh, b_ih, b_hh = self._weights(suffix)
        G = d_xw.shape[-1]
        d_xw2, d_hw2 = d_xw.reshape(-1, G), d_hw.reshape(-1, G)
        w_ih.accumulate(d_xw2.T @ x.reshape(-1, x.shape[-1]))
        w_hh.accumulate(d_hw2.T @ h_prev.reshape(-1, self.hidden_size))
        if b_ih is not None:
            b_ih.accumulate(d_xw2.sum(axis=0))
            b_hh.accumulate(d_hw2.sum(axis=0))
        return d_xw @ w_ih.data

    def extra_repr(self):
        return f"input_size={self.input_size}, hidden_size={self.hidden_size}, bias={self._weights()[2] is not None}"


def _check_nonlinearity(name, nonlinearity):
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{name}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")


# --- one time step ----------------------------------------------------------------------------
class _Cell(_Recurrent):
    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        dtype, device = self.xp.resolve_dtype(dtype, device)
        # torch.nn's rule: both sizes at least 1
        self.input_size = check_count(type(self).__name__, "input_size", input_size, minimum=1)
        self.hidden_size = check_count(type(self).__name__, "hidden_size", hidden_size, minimum=1)
        self._make_weights("", input_size, bias, dtype, device)

    def _check_step(self, x, hx, name="hx"):
        self._check_input(x, 2, "(N, input_size)")
        shape = (x.shape[0], self.hidden_size)
        if hx is None:
            return self.xp.zeros(shape, dtype=x.dtype, device=x.device)
        self._check_state(hx, shape, name)
        return hx


class RNNCell(_Cell):
    """RNNCell: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).  x: (N, C), h: (N, H) -> h': (N, H).

    ``backward(dh')`` returns dx and stores the gradient w.r.t. h in ``grad_hx``. The cell caches one
    step; to unroll a sequence use ``RNN`` (or the step functions ``rnn_cell_forward/backward``).
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        _check_nonlinearity("RNNCell", nonlinearity)
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, x, hx=None):
        h = self._check_step(x, hx)
        _, w_hh, _, b_hh = self._weights()
        self._x, self._h = x, h
        h_new, self._cache = rnn_cell_forward(self._input_products(x), h, w_hh.data, _data(b_hh), self.nonlinearity)
        return h_new

    def backward(self, dh):
        """dh: (N, H) -> dx: (N, C); grad_hx: (N, H)."""
        da, self.grad_hx = rnn_cell_backward(dh, self._cache, self.weight_hh.data, self.nonlinearity)
        return self._accumulate(self._x, self._h, da)

    def extra_repr(self):
        return super().extra_repr() + ("" if self.nonlinearity == "tanh" else ", nonlinearity='relu'")


class LSTMCell(_Cell):
    """LSTMCell: gates i, f, g, o from x W_ih^T + b_ih + h W_hh^T + b_hh; c' = f c + i g; h' = o tanh(c').
    x: (N, C), hx = (h, c): (N, H) each -> (h', c').

    ``backward(dh', dc'=None)`` returns dx and stores ``grad_hx = (dh, dc)``.
    """

    _gates = 4

    def forward(self, x, hx=None):
        h, c = (None, None) if hx is None else _state_pair(self, hx, "hx", "(h, c)")
        h, c = self._check_step(x, h, "h"), self._check_step(x, c, "c")
        _, w_hh, _, b_hh = self._weights()
        self._x, self._h = x, h
        h_new, c_new, self._cache = lstm_cell_forward(self._input_products(x), h, c, w_hh.data, _data(b_hh))
        return h_new, c_new

    def backward(self, dh, dc=None):
        """dh, dc: (N, H) (either may be None: no gradient) -> dx: (N, C); grad_hx = (dh, dc) of the inputs."""
        like = self._cache[0]
        dh = self.xp.zeros_like(like) if dh is None else dh
        dc = self.xp.zeros_like(like) if dc is None else dc
        da, dh_prev, dc_prev = lstm_cell_backward(dh, dc, self._cache, self.weight_hh.data)
        self.grad_hx = (dh_prev, dc_prev)
        return self._accumulate(self._x, self._h, da)


class GRUCell(_Cell):
    """GRUCell: r, z = sig(.), n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)); h' = (1 - z) n + z h.
    x: (N, C), h: (N, H) -> h': (N, H). ``backward(dh')`` returns dx and stores ``grad_hx``.
    """

    _gates = 3

    def forward(self, x, hx=None):
        h = self._check_step(x, hx)
        _, w_hh, _, b_hh = self._weights()
        self._x, self._h = x, h
        h_new, self._cache = gru_cell_forward(self._input_products(x), h, w_hh.data, _data(b_hh))
        return h_new

    def backward(self, dh):
        """dh: (N, H) -> dx: (N, C); grad_hx: (N, H)."""
        d_xw, d_hw, self.grad_hx = gru_cell_backward(dh, self._cache, self.weight_hh.data)
        return self._accumulate(self._x, self._h, d_xw, d_hw)


# --- whole sequences: unrolled in time, backpropagation through time --------------------------
# Inside, the layers work time-major, (T, N, ...), so that the slice for step t (xw[t], da[t]) is one
# contiguous block; the input and the output stay batch-first, (N, T, ...), as torch.nn's.
class _Run:
    """What one direction of one layer keeps for its backward pass: its input (T, N, C_in), the
    hidden state each step started from (T, N, H), the step caches, and the order it read the steps."""

    def __init__(self, suffix, inputs, h_prev, caches, order):
        self.suffix, self.inputs, self.h_prev, self.caches, self.order = suffix, inputs, h_prev, caches, order


class _Layer(_Recurrent):
    """A stack of ``num_layers`` recurrent layers, each read in one or two directions (torch.nn's RNNBase).

    Layer l > 0 reads the output of layer l - 1 (num_directions * H features), after dropout when
    ``dropout > 0`` and the module is training (notebook 16, section 6). With ``bidirectional=True``, each layer has a second
    set of weights (suffix ``_reverse``) that reads the sequence from last step to first; the two
    outputs are concatenated per step, forward first. Initial and final states are stacked as
    (num_layers * num_directions, N, H), row ``layer * num_directions + direction``.
    """

    _state_names = ("h0",)  # the LSTM carries two: ("h0", "c0")

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=True, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        name = type(self).__name__
        if batch_first is not True:
            raise ValueError(
                f"{name}: nnlib's recurrent layers are batch-first only, inputs (N, T, C); "
                f"got batch_first={batch_first!r}. Put time-major data (T, N, C) in that order with x.swapaxes(0, 1)"
            )
        if isinstance(num_layers, bool) or not isinstance(num_layers, numbers.Integral) or num_layers < 1:
            raise ValueError(f"{name}: num_layers must be an integer >= 1, got {num_layers!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout should be a number in range [0, 1], got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            # torch.nn warns alike: there is no layer after the only one to apply it before
            warnings.warn(f"{name}: dropout={dropout} with num_layers=1 does nothing: dropout acts between layers")
        dtype, device = self.xp.resolve_dtype(dtype, device)
        # torch.nn's rule: both sizes at least 1
        self.input_size = check_count(type(self).__name__, "input_size", input_size, minimum=1)
        self.hidden_size = check_count(type(self).__name__, "hidden_size", hidden_size, minimum=1)
        self.num_layers, self.dropout, self.bidirectional = int(num_layers), float(dropout), bool(bidirectional)
        D = self._directions = 2 if bidirectional else 1
        self._suffixes = tuple(f"_l{layer}{'_reverse' if d else ''}" for layer in range(num_layers) for d in range(D))
        for k, suffix in enumerate(self._suffixes):  # torch's order: layer by layer, forward then reverse
            self._make_weights(suffix, input_size if k < D else D * hidden_size, bias, dtype, device)

    # --- forward --------------------------------------------------------------------------------
    def forward(self, x, hx=None):
        self._check_input(x, 3, "(N, T, input_size)")
        N, T = x.shape[0], x.shape[1]
        if T == 0:
            raise ValueError(
                f"{describe(self)} expects sequences of at least one step, got input of shape {tuple(x.shape)}"
            )
        states = self._initial_states(x, hx)
        D, H = self._directions, self.hidden_size
        inputs = x.swapaxes(0, 1)  # (T, N, C): time-major inside
        self._runs, self._masks, finals = [], [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                k = layer * D + d
                suffix = self._suffixes[k]
                order = range(T - 1, -1, -1) if d else range(T)  # the reverse direction reads the last step first
                _, w_hh, _, b_hh = self._weights(suffix)
                xw = self._input_products(inputs, suffix)  # (T, N, gates*H): all steps in one matrix product
                hs, final, h_prev, caches = self._steps_forward(xw, states[k], w_hh.data, _data(b_hh), order)
                self._runs.append(_Run(suffix, inputs, self.xp.stack(h_prev), caches, order))
                outs.append(self.xp.stack(hs))  # (T, N, H), in time order whatever the direction
                finals.append(final)
            inputs = outs[0] if D == 1 else self.xp.concatenate(outs, axis=-1)  # (T, N, D*H)
            if layer < self.num_layers - 1:
                inputs = self._dropout_between_layers(inputs)
        final_states = tuple(self.xp.stack([f[i] for f in finals]) for i in range(len(self._state_names)))
        return inputs.swapaxes(0, 1), final_states if len(final_states) > 1 else final_states[0]

    def _initial_states(self, x, hx):
        """Check hx ((L*D, N, H), or a pair of them for the LSTM); one tuple of (N, H) states per run."""
        shape = (self.num_layers * self._directions, x.shape[0], self.hidden_size)
        if hx is None:
            given = [None] * len(self._state_names)
        elif len(self._state_names) == 1:
            given = [hx]
        else:
            given = list(_state_pair(self, hx, "hx", "(h0, c0)"))
        states = []
        for h, name in zip(given, self._state_names):
            if h is None:
                h = self.xp.zeros(shape, dtype=x.dtype, device=x.device)
            else:
                self._check_state(h, shape, name)
            states.append(h)
        return [tuple(s[k] for s in states) for k in range(shape[0])]

    def _dropout_between_layers(self, y):
        """torch.nn's ``dropout``: inverted dropout on a layer's output before the next layer reads it."""
        if not self.training or self.dropout == 0:
            self._masks.append(None)
            return y
        keep = self.xp.rand(tuple(y.shape), device=y.device) >= self.dropout
        mask = self.xp.astype(keep, y.dtype) * (0.0 if self.dropout == 1 else 1 / (1 - self.dropout))
        self._masks.append(mask)
        return y * mask

    # --- backward -------------------------------------------------------------------------------
    def _backward(self, d_out, final_grads):
        """Backpropagation through time, layer by layer from the top, each direction on its own.

        d_out: (N, T, D*H); final_grads: {name: (L*D, N, H) or None}. Returns dx (N, T, C) and sets
        ``grad_h0`` (and ``grad_c0``), (L*D, N, H).
        """
        D, H = self._directions, self.hidden_size
        T, N = len(self._runs[0].caches), self._runs[0].h_prev.shape[1]
        expected = {"d_out": (d_out, (N, T, D * H)),
                    **{name: (d, (self.num_layers * D, N, H)) for name, d in final_grads.items()}}
        for name, (d, shape) in expected.items():
            if d is not None and tuple(d.shape) != shape:
                raise ValueError(f"{describe(self)}.backward expects {name} of shape {shape}, got {tuple(d.shape)}")
        zeros = lambda: self.xp.zeros((N, H), dtype=d_out.dtype, device=d_out.device)
        d_inputs = d_out.swapaxes(0, 1)  # (T, N, D*H): the gradient of the top layer's output
        grads0 = [None] * len(self._runs)
        for layer in reversed(range(self.num_layers)):
            if layer < self.num_layers - 1 and self._masks[layer] is not None:
                d_inputs = d_inputs * self._masks[layer]  # back through the dropout between layers
            d_below = None
            for d in range(D):
                k = layer * D + d
                run = self._runs[k]
                d_final = tuple(zeros() if g is None else g[k] for g in final_grads.values())
                w_hh = self._weights(run.suffix)[1].data
                d_xw, d_hw, grads0[k] = self._steps_backward(d_inputs[..., d * H:(d + 1) * H], d_final, run.caches,
                                                             w_hh, run.order)
                dx = self._accumulate(run.inputs, run.h_prev, d_xw, d_hw, run.suffix)
                d_below = dx if d_below is None else d_below + dx  # both directions read the same input
            d_inputs = d_below
        for i, name in enumerate(final_grads):
            setattr(self, {"d_h_n": "grad_h0", "d_c_n": "grad_c0"}[name], self.xp.stack([g[i] for g in grads0]))
        return d_inputs.swapaxes(0, 1)

    def extra_repr(self):
        text = super().extra_repr()
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


class RNN(_Layer):
    """RNN (Elman): h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu), per layer and direction.
    x: (N, T, C), h0: (L*D, N, H) or None -> (out (N, T, D*H), h_n (L*D, N, H)), with L = num_layers and
    D = 2 if bidirectional else 1.

    ``backward(d_out, d_h_n=None)`` returns dx (N, T, C) and stores ``grad_h0`` (L*D, N, H).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=True,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        _check_nonlinearity("RNN", nonlinearity)
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype)

    def _steps_forward(self, xw, state, w_hh, b_hh, order):
        """One direction of one layer: the steps in ``order``. Returns the states (by time), the final
        state, the state each step started from (by time) and the step caches."""
        (h,) = state
        T = len(xw)
        hs, h_prev, caches = [None] * T, [None] * T, [None] * T
        for t in order:
            h_prev[t] = h
            h, caches[t] = rnn_cell_forward(xw[t], h, w_hh, b_hh, self.nonlinearity)
            hs[t] = h
        return hs, (h,), h_prev, caches

    def _steps_backward(self, d_out, d_final, caches, w_hh, order):
        """BPTT over one direction: from the last step read back to the first, dh_t = d_out[t] + (what
        the step read after t sent back). Returns da (T, N, H), None (the same for the hidden product)
        and the gradient of the initial state. Notebook 15, section 3."""
        (dh,) = d_final
        da = [None] * len(caches)
        for t in reversed(order):
            # h_t feeds both the output at t and the next step
            da[t], dh = rnn_cell_backward(dh + d_out[t], caches[t], w_hh, self.nonlinearity)
        return self.xp.stack(da), None, (dh,)

    def backward(self, d_out, d_h_n=None):
        """d_out: (N, T, D*H), d_h_n: (L*D, N, H) or None -> dx: (N, T, C); grad_h0: (L*D, N, H)."""
        return self._backward(d_out, {"d_h_n": d_h_n})

    def extra_repr(self):
        return super().extra_repr() + ("" if self.nonlinearity == "tanh" else ", nonlinearity='relu'")


class LSTM(_Layer):
    """LSTM: per step, layer and direction, i, f, g, o from x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh;
    c_t = f c_{t-1} + i g; h_t = o tanh(c_t).  x: (N, T, C), hx = (h0, c0) (L*D, N, H) each, or None
    -> (out (N, T, D*H), (h_n, c_n) (L*D, N, H) each), with L = num_layers, D = 2 if bidirectional else 1.

    ``backward(d_out, d_state=None)``, d_state = (d_h_n, d_c_n) (either may be None), returns dx
    (N, T, C) and stores ``grad_h0`` and ``grad_c0`` (L*D, N, H).

    >>> import numpy as np, nnlib.numpy as nn
    >>> lstm = nn.LSTM(input_size=3, hidden_size=5)
    >>> out, (h_n, c_n) = lstm(np.zeros((2, 7, 3)))            # 2 sequences of 7 steps
    >>> out.shape, h_n.shape, c_n.shape
    ((2, 7, 5), (1, 2, 5), (1, 2, 5))
    >>> lstm.backward(np.ones((2, 7, 5))).shape                 # backpropagation through time
    (2, 7, 3)
    >>> [name for name, _ in lstm.named_parameters()]           # torch.nn.LSTM's names
    ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']
    >>> deep = nn.LSTM(3, 5, num_layers=2, bidirectional=True)  # two layers, each read both ways
    >>> out, (h_n, c_n) = deep(np.zeros((2, 7, 3)))
    >>> out.shape, h_n.shape                                    # forward and reverse outputs side by side
    ((2, 7, 10), (4, 2, 5))
    >>> [name for name, _ in deep.named_parameters()][4:8]
    ['weight_ih_l0_reverse', 'weight_hh_l0_reverse', 'bias_ih_l0_reverse', 'bias_hh_l0_reverse']
    """

    _gates = 4
    _state_names = ("h0", "c0")

    def _steps_forward(self, xw, state, w_hh, b_hh, order):
        h, c = state
        T = len(xw)
        hs, h_prev, caches = [None] * T, [None] * T, [None] * T
        for t in order:
            h_prev[t] = h
            h, c, caches[t] = lstm_cell_forward(xw[t], h, c, w_hh, b_hh)
            hs[t] = h
        return hs, (h, c), h_prev, caches

    def _steps_backward(self, d_out, d_final, caches, w_hh, order):
        """BPTT with ``lstm_cell_backward`` at each step, the last step read first; the cell state's
        gradient flows back through dc = dc_total * f alone (notebook 16, sections 1 and 3)."""
        dh, dc = d_final
        da = [None] * len(caches)
        for t in reversed(order):
            da[t], dh, dc = lstm_cell_backward(dh + d_out[t], dc, caches[t], w_hh)
        return self.xp.stack(da), None, (dh, dc)

    def backward(self, d_out, d_state=None):
        """d_out: (N, T, D*H), d_state: (d_h_n, d_c_n) or None -> dx: (N, T, C); grad_h0, grad_c0: (L*D, N, H)."""
        d_h_n, d_c_n = (None, None) if d_state is None else _state_pair(self, d_state, "d_state", "(d_h_n, d_c_n)")
        return self._backward(d_out, {"d_h_n": d_h_n, "d_c_n": d_c_n})


class GRU(_Layer):
    """GRU: per step, layer and direction, r, z = sig(.), n = tanh(x_t W_in^T + b_in + r (h_{t-1} W_hn^T + b_hn)),
    h_t = (1 - z) n + z h_{t-1}.  x: (N, T, C), h0: (L*D, N, H) or None -> (out (N, T, D*H), h_n (L*D, N, H)).

    ``backward(d_out, d_h_n=None)`` returns dx (N, T, C) and stores ``grad_h0`` (L*D, N, H).
    """

    _gates = 3

    def _steps_forward(self, xw, state, w_hh, b_hh, order):
        (h,) = state
        T = len(xw)
        hs, h_prev, caches = [None] * T, [None] * T, [None] * T
        for t in order:
            h_prev[t] = h
            h, caches[t] = gru_cell_forward(xw[t], h, w_hh, b_hh)
            hs[t] = h
        return hs, (h,), h_prev, caches

    def _steps_backward(self, d_out, d_final, caches, w_hh, order):
        """BPTT with ``gru_cell_backward`` at each step, the last step read first (notebook 16, Exercise 4).
        The input and hidden products get different gradients (the reset gate scales the hidden one)."""
        (dh,) = d_final
        d_xw, d_hw = [None] * len(caches), [None] * len(caches)
        for t in reversed(order):
            d_xw[t], d_hw[t], dh = gru_cell_backward(dh + d_out[t], caches[t], w_hh)
        return self.xp.stack(d_xw), self.xp.stack(d_hw), (dh,)

    def backward(self, d_out, d_h_n=None):
        """d_out: (N, T, D*H), d_h_n: (L*D, N, H) or None -> dx: (N, T, C); grad_h0: (L*D, N, H)."""
        return self._backward(d_out, {"d_h_n": d_h_n})


def _state_pair(who, pair, name, layout):
    """``pair`` (e.g. ``hx = (h, c)``) unpacked, or a TypeError naming the layout expected."""
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise TypeError(f"{describe(who)} expects {name} as a pair {layout}, got {type(pair).__name__}")
    return pair


# --- token ids to vectors ---------------------------------------------------------------------
class Embedding(Module):
    """Embedding: y = weight[ids], a table lookup.  ids: (*) integers in [0, num_embeddings) -> y: (*, embedding_dim).

    ``weight`` (num_embeddings, embedding_dim) starts N(0, 1) as in torch.nn.Embedding.
    ``backward(dy)`` adds each row of dy into the weight row it was read from (rows read several
    times add up) and returns None: integer ids have no gradient.

    >>> import numpy as np, nnlib.numpy as nn
    >>> emb = nn.Embedding(10, 4)
    >>> emb(np.array([[1, 2, 1]])).shape
    (1, 3, 4)
    >>> emb.backward(np.ones((1, 3, 4)))
    >>> emb.weight.grad[1]                  # id 1 was read twice: its two gradients add up
    array([2., 2., 2., 2.])
    """

    def __init__(self, num_embeddings, embedding_dim, device=None, dtype=None):
        dtype, device = self.xp.resolve_dtype(dtype, device)
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        values = normal(0.0, 1.0, (num_embeddings, embedding_dim))
        self.weight = Parameter(self.xp.asarray(values, dtype=dtype, device=device))

    def forward(self, ids):
        self.xp.check_ids(self, ids, self.weight.data.device)
        if math.prod(ids.shape):
            bad = ids[(ids < 0) | (ids >= self.num_embeddings)]
            if bad.shape[0]:
                raise ValueError(
                    f"{describe(self)} got id {int(bad.reshape(-1)[0])} out of range: ids must lie in "
                    f"[0, {self.num_embeddings}) (num_embeddings={self.num_embeddings})"
                )
        self._ids = ids
        return self.weight.data[ids]

    def backward(self, dy):
        """dy: (*, embedding_dim) -> None; d weight[k] = sum of dy over the positions where ids == k."""
        grad = self.xp.zeros_like(self.weight.data)
        rows = math.prod(self._ids.shape)
        self.xp.add_at(grad, self._ids.reshape(rows), dy.reshape(rows, self.embedding_dim))
        self.weight.accumulate(grad)
        return None

    def extra_repr(self):
        return f"num_embeddings={self.num_embeddings}, embedding_dim={self.embedding_dim}"
