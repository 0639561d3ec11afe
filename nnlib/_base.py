"""The module protocol, written once for both backends.

A module keeps its parameters (``Parameter``), sub-modules and buffers as plain
attributes; attributes whose names start with ``_`` are private caches (``self._x``)
and are never part of the state. Names are dotted paths as in ``torch.nn``
(``0.weight``, ``fc.bias``), so state dicts load into ``torch.nn`` twins unchanged.

Each backend subclasses :class:`BaseModule` as its ``Module`` and supplies the array namespace
``xp`` its layers compute with (``nnlib/numpy/xp.py``, ``nnlib/torch/xp.py``) and two hooks:
``_copy(value)`` (a detached copy) and ``_assign(current, value, name)`` (the loaded
value, checked, in the dtype and device of ``current``).

Every ``forward`` and ``backward`` a subclass defines is wrapped once, here (``__init_subclass__``):
forward remembers the shape of its output, and backward refuses to run before a forward, or with
a gradient ``dy`` whose shape is not that output's. So every layer, including one written later
or in a notebook, gets those two checks without a line of its own.
"""
import functools
import inspect
from collections import OrderedDict, namedtuple

from nnlib._checks import describe

class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns, as torch's: the keys it did not find and the keys it did not use."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()


def _first_output(out):
    """What ``backward``'s gradient stands for: the output, or its first element when the output is a
    tuple (recurrent layers return ``(out, state)``)."""
    while isinstance(out, (tuple, list)) and out:
        out = out[0]
    return out


def _recording(forward):
    """``forward``, remembering the shape (and type) of its output for the checks of ``backward``."""

    @functools.wraps(forward)
    def forward_and_record(self, *args, **kwargs):
        out = forward(self, *args, **kwargs)
        first = _first_output(out) if type(out) is tuple else out
        # (shape or None for a plain number, type); a super() chain's outermost forward writes last
        self.__dict__["_output_meta"] = (getattr(first, "shape", None), type(first))
        return out

    forward_and_record._records_output = True
    return forward_and_record


def _checking(backward):
    """``backward``, refusing to run before a forward or with a ``dy`` of another shape than the output.

    Called once per backward of every module, so it stays cheap: a dict lookup, a type and a shape comparison.
    """
    # what the layer calls its first argument (dy, d_out, dh), for the error message
    names = [p.name for p in inspect.signature(backward).parameters.values() if p.kind == p.POSITIONAL_OR_KEYWORD]
    dy_name = names[1] if len(names) > 1 else "dy"

    @functools.wraps(backward)
    def check_then_backward(self, *args, **kwargs):
        state = self.__dict__
        if state.get("_in_backward"):  # a subclass's backward calling super().backward: checked already
            return backward(self, *args, **kwargs)
        meta = state.get("_output_meta")
        if meta is None:
            raise RuntimeError(
                f"{describe(self)}.backward called before forward: run the forward pass first (y = module(x)); "
                f"backward uses what it cached"
            )
        shape, kind = meta
        dy = args[0] if args else None
        if shape is not None and dy is not None and type(dy) is not float:  # a loss's grad may be a number
            if type(dy) is not kind and len(shape) and not self.xp.is_array(dy):
                raise TypeError(
                    f"{describe(self)}.backward expects {dy_name} as {self.xp.ARRAY} (the backend of its forward), "
                    f"got {type(dy).__module__}.{type(dy).__name__}"
                )
            dy_shape = getattr(dy, "shape", shape)
            if dy_shape != shape and tuple(dy_shape) != tuple(shape):
                raise ValueError(
                    f"{describe(self)}.backward expects {dy_name} of shape {tuple(shape)}, got {tuple(dy_shape)} "
                    f"(the gradient of the forward's output has that output's shape)"
                )
        state["_in_backward"] = True
        try:
            return backward(self, *args, **kwargs)
        finally:
            state["_in_backward"] = False

    check_then_backward._checks_dy = True
    return check_then_backward


class Parameter:
    """A trainable array (NumPy) or tensor (torch), ``data``, with its gradient ``grad``.

    ``grad`` is ``None`` until a backward pass adds into it; it always has the shape of ``data``.
    """

    __slots__ = ("data", "grad")

    def __init__(self, data):
        self.data = data
        self.grad = None

    @property
    def shape(self):
        return tuple(self.data.shape)

    def accumulate(self, grad) -> None:
        """Add ``grad`` into ``self.grad`` (backward passes add, so shared weights sum their gradients)."""
        if tuple(grad.shape) != tuple(self.data.shape):
            raise ValueError(f"gradient of shape {tuple(grad.shape)} for a parameter of shape {self.shape}")
        self.grad = grad if self.grad is None else self.grad + grad

    def __repr__(self):
        return f"Parameter(shape={self.shape}, dtype={self.data.dtype})"


class BaseModule:
    """Forward with ``m(x)``, back-propagate with ``m.backward(dy)``; parameters, modes and state."""

    training = True
    _buffers: tuple = ()  # names of non-trainable state attributes (e.g. BatchNorm's running_mean)
    _optional_buffers: tuple = ()  # buffers load_state_dict does not miss (kept as they are when absent)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # what this class brings (its own, or a mixin's such as Sequential's); inherited ones are wrapped already
        if not getattr(cls.forward, "_records_output", False):
            cls.forward = _recording(cls.forward)
        if not getattr(cls.backward, "_checks_dy", False):
            cls.backward = _checking(cls.backward)

    @property
    def xp(self):
        """The backend's array namespace; each backend's ``Module`` sets it (a class attribute)."""
        name = type(self).__name__
        raise TypeError(
            f"{name} is nnlib's shared implementation and has no backend: build nnlib.numpy.{name} "
            f"or nnlib.torch.{name} (or subclass nnlib.numpy.Module / nnlib.torch.Module)"
        )

    # --- computation -----------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward")

    def backward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define backward")

    # --- the module tree -------------------------------------------------------------------
    # A module or Parameter may sit in the tree twice (tied weights: ``m[1].weight = m[0].weight``).
    # As in torch, the iterators below yield each one once, under its first name; ``state_dict``
    # keeps every name, so the keys still match the torch.nn twin's.
    def _child_items(self):
        """Every ``(name, module)`` attribute, a module set twice included (Sequential runs both)."""
        for name, value in vars(self).items():
            if isinstance(value, BaseModule) and not name.startswith("_"):
                yield name, value

    def named_children(self):
        """Yield ``(name, module)`` for the direct sub-modules, in the order they were set, each once."""
        seen = set()
        for name, child in self._child_items():
            if id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def modules(self):
        """Yield this module and every sub-module, depth first, each once."""
        seen = set()

        def walk(module):
            if id(module) in seen:
                return
            seen.add(id(module))
            yield module
            for _, child in module._child_items():
                yield from walk(child)

        yield from walk(self)

    def _all_named_parameters(self, prefix):
        for name, value in vars(self).items():
            if name.startswith("_"):
                continue
            if isinstance(value, Parameter):
                yield prefix + name, value
            elif isinstance(value, BaseModule):
                yield from value._all_named_parameters(prefix + name + ".")

    def named_parameters(self, prefix: str = "", remove_duplicate: bool = True):
        """Yield ``(dotted_name, Parameter)``; the names are the state-dict keys.

        A Parameter shared by several layers comes once, under its first name (torch's
        ``remove_duplicate=True``), so an optimizer steps it once with its summed gradient.
        """
        seen = set()
        for name, p in self._all_named_parameters(prefix):
            if remove_duplicate:
                if id(p) in seen:
                    continue
                seen.add(id(p))
            yield name, p

    def parameters(self):
        """Yield every ``Parameter`` once (what an optimizer updates)."""
        for _, p in self.named_parameters():
            yield p

    def named_buffers(self, prefix: str = ""):
        """Yield ``(dotted_name, array)`` for non-trainable state such as running statistics, each module once."""
        seen = set()

        def walk(module, prefix):
            if id(module) in seen:
                return
            seen.add(id(module))
            for name in module._buffers:
                yield prefix + name, getattr(module, name)
            for child_name, child in module._child_items():
                yield from walk(child, prefix + child_name + ".")

        yield from walk(self, prefix)

    def zero_grad(self) -> None:
        """Forget accumulated gradients (``grad = None``, as ``torch`` does by default)."""
        for p in self.parameters():
            p.grad = None

    def num_parameters(self) -> int:
        """Total number of trainable scalars, a shared Parameter counted once (equals
        ``sum(p.numel() for p in twin.parameters())`` of the torch.nn twin)."""
        total = 0
        for p in self.parameters():
            n = 1
            for s in p.shape:
                n *= s
            total += n
        return total

    # --- modes -----------------------------------------------------------------------------
    def train(self, mode: bool = True):
        """Training mode (dropout active, batch norm uses batch statistics), recursively."""
        for m in self.modules():
            m.training = mode
        return self

    def eval(self):
        """Evaluation mode, recursively: ``train(False)``."""
        return self.train(False)

    # --- state -----------------------------------------------------------------------------
    def _owners(self, prefix: str = ""):
        """Yield ``(dotted_name, owner_module, attribute, is_parameter)`` for every tensor of the state."""
        for name, value in vars(self).items():
            if not name.startswith("_") and isinstance(value, Parameter):
                yield prefix + name, self, name, True
        for name in self._buffers:
            yield prefix + name, self, name, False
        for child_name, child in self._child_items():
            yield from child._owners(prefix + child_name + ".")

    def state_dict(self) -> "OrderedDict":
        """Parameters and buffers as plain arrays/tensors (copies), keyed as in ``torch.nn``."""
        state = OrderedDict()
        for key, owner, attr, is_param in self._owners():
            value = getattr(owner, attr)
            state[key] = self._copy(value.data if is_param else value)
        return state

    def load_state_dict(self, state, strict: bool = True) -> IncompatibleKeys:
        """Copy arrays from ``state`` into this module; with ``strict``, the keys must match exactly.

        Returns, as torch does, ``IncompatibleKeys(missing_keys, unexpected_keys)``: with
        ``strict=False`` the keys of this module that ``state`` lacks, and those it has in excess.
        """
        if not hasattr(state, "keys") or not hasattr(state, "__getitem__"):
            raise TypeError(f"{type(self).__name__}.load_state_dict expects a dict of arrays, got {type(state).__name__}")
        owners = {key: (owner, attr, is_param) for key, owner, attr, is_param in self._owners()}
        # a buffer torch lets a state dict omit (BatchNorm's num_batches_tracked, absent from old checkpoints)
        optional = {key for key, (owner, attr, _) in owners.items() if attr in owner._optional_buffers}
        missing = [k for k in owners if k not in state and k not in optional]
        unexpected = [k for k in state if k not in owners]
        if strict and (missing or unexpected):
            raise KeyError(
                f"{type(self).__name__}.load_state_dict: missing keys {missing}, unexpected keys {unexpected}"
            )
        # every value checked and converted before any is set: a bad one leaves the module as it was
        loaded = {}
        for key, (owner, attr, is_param) in owners.items():
            if key in state:
                current = getattr(owner, attr)
                loaded[key] = self._assign(current.data if is_param else current, state[key], key)
        for key, value in loaded.items():
            owner, attr, is_param = owners[key]
            if is_param:
                getattr(owner, attr).data = value
            else:
                setattr(owner, attr, value)
        return IncompatibleKeys(missing, unexpected)

    def _convert_arrays(self, convert):
        """Replace every parameter's data and gradient and every buffer by ``convert(array)`` (``.to()``)."""
        for p in self.parameters():
            p.data = convert(p.data)
            p.grad = None if p.grad is None else convert(p.grad)
        for m in self.modules():
            for name in m._buffers:
                setattr(m, name, convert(getattr(m, name)))
        return self

    # each backend's Module says how to copy an array (state_dict) and load one in place (load_state_dict)
    def _copy(self, value):
        raise NotImplementedError(f"{type(self).__name__}: a backend Module must define _copy")

    def _assign(self, current, value, name):
        raise NotImplementedError(f"{type(self).__name__}: a backend Module must define _assign")

    # --- printing --------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The constructor arguments shown by ``repr`` (override in each layer)."""
        return ""

    def __repr__(self):
        children = list(self._child_items())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in children]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


class SequentialMixin:
    """``Sequential(*modules)`` or ``Sequential(OrderedDict(name=module, ...))``: forward through each
    module in turn, backward in reverse.

    Children are stored as attributes ``"0"``, ``"1"``, ... (or the given names) so state-dict keys
    match ``torch.nn.Sequential`` (``0.weight``). A slice keeps the names, as torch's does:
    ``model[2:]`` has the keys ``2.weight``, ... of the layers it holds.
    """

    def __init__(self, *modules):
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            items = list(modules[0].items())
        else:
            items = [(str(i), m) for i, m in enumerate(modules)]
        for i, (name, m) in enumerate(items):
            if not isinstance(m, BaseModule):
                raise TypeError(f"Sequential expects modules, got {type(m).__name__} at position {i}")
            if not isinstance(name, str) or not name or "." in name or name.startswith("_"):
                raise ValueError(
                    f"Sequential expects module names that are non-empty strings without '.' and not starting "
                    f"with '_', got {name!r} at position {i}"
                )
            setattr(self, name, m)

    def __len__(self):
        return sum(1 for _ in self._child_items())

    def __getitem__(self, i):
        items = list(self._child_items())
        return type(self)(OrderedDict(items[i])) if isinstance(i, slice) else items[i][1]

    def __iter__(self):
        return (m for _, m in self._child_items())

    def forward(self, x):
        for m in self:
            x = m(x)
        return x

    def backward(self, dy):
        for m in reversed(list(self)):
            dy = m.backward(dy)
        return dy

