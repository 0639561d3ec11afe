"""The module protocol, written once for both backends.

A module keeps its parameters (``Parameter``), sub-modules and buffers as plain
attributes; attributes whose names start with ``_`` are private caches (``self._x``)
and are never part of the state. Names are dotted paths as in ``torch.nn``
(``0.weight``, ``fc.bias``), so state dicts load into ``torch.nn`` twins unchanged.

Each backend subclasses :class:`BaseModule` as its ``Module`` and supplies the array namespace
``xp`` its layers compute with (``nnlib/numpy/xp.py``, ``nnlib/torch/xp.py``) and two hooks:
``_copy(value)`` (a detached copy) and ``_assign(current, value, name)`` (the loaded
value, checked, in the dtype and device of ``current``).
"""
from collections import OrderedDict


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
    def named_children(self):
        """Yield ``(name, module)`` for the direct sub-modules, in the order they were set."""
        for name, value in vars(self).items():
            if not name.startswith("_") and isinstance(value, BaseModule):
                yield name, value

    def modules(self):
        """Yield this module and every sub-module, depth first."""
        yield self
        for _, child in self.named_children():
            yield from child.modules()

    def named_parameters(self, prefix: str = ""):
        """Yield ``(dotted_name, Parameter)``; the names are the state-dict keys.

        A Parameter shared by several modules (tied weights) is yielded once, under its first name,
        as torch's ``remove_duplicate=True``: an optimizer must update it once, with the summed gradient.
        """
        seen = set()
        for name, p in self._named_parameters_with_repeats(prefix):
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _named_parameters_with_repeats(self, prefix):
        for name, value in vars(self).items():
            if name.startswith("_"):
                continue
            if isinstance(value, Parameter):
                yield prefix + name, value
            elif isinstance(value, BaseModule):
                yield from value._named_parameters_with_repeats(prefix + name + ".")

    def parameters(self):
        """Yield every ``Parameter`` (what an optimizer updates)."""
        for _, p in self.named_parameters():
            yield p

    def named_buffers(self, prefix: str = ""):
        """Yield ``(dotted_name, array)`` for non-trainable state such as running statistics."""
        for name in self._buffers:
            yield prefix + name, getattr(self, name)
        for child_name, child in self.named_children():
            yield from child.named_buffers(prefix + child_name + ".")

    def zero_grad(self) -> None:
        """Forget accumulated gradients (``grad = None``, as ``torch`` does by default)."""
        for p in self.parameters():
            p.grad = None

    def num_parameters(self) -> int:
        """Total number of trainable scalars (equals ``sum(p.numel())`` of the torch.nn twin)."""
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
        for child_name, child in self.named_children():
            yield from child._owners(prefix + child_name + ".")

    def state_dict(self) -> "OrderedDict":
        """Parameters and buffers as plain arrays/tensors (copies), keyed as in ``torch.nn``."""
        state = OrderedDict()
        for key, owner, attr, is_param in self._owners():
            value = getattr(owner, attr)
            state[key] = self._copy(value.data if is_param else value)
        return state

    def load_state_dict(self, state, strict: bool = True):
        """Copy arrays from ``state`` into this module; with ``strict``, the keys must match exactly."""
        owners = {key: (owner, attr, is_param) for key, owner, attr, is_param in self._owners()}
        missing = [k for k in owners if k not in state]
        unexpected = [k for k in state if k not in owners]
        if strict and (missing or unexpected):
            raise KeyError(
                f"{type(self).__name__}.load_state_dict: missing keys {missing}, unexpected keys {unexpected}"
            )
        for key, (owner, attr, is_param) in owners.items():
            if key not in state:
                continue
            if is_param:
                p = getattr(owner, attr)
                p.data = self._assign(p.data, state[key], key)
            else:
                setattr(owner, attr, self._assign(getattr(owner, attr), state[key], key))
        return self

    def _convert_arrays(self, convert):
        """Replace every parameter's data and gradient and every buffer by ``convert(array)`` (``.to()``)."""
        for m in self.modules():
            for name, value in vars(m).items():
                if isinstance(value, Parameter) and not name.startswith("_"):
                    value.data = convert(value.data)
                    value.grad = None if value.grad is None else convert(value.grad)
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
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in children]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


class SequentialMixin:
    """``Sequential(*modules)``: forward through each module in turn, backward in reverse.

    Children are stored as attributes ``"0"``, ``"1"``, ... so state-dict keys match
    ``torch.nn.Sequential`` (``0.weight``).
    """

    def __init__(self, *modules):
        for i, m in enumerate(modules):
            if not isinstance(m, BaseModule):
                raise TypeError(f"Sequential expects modules, got {type(m).__name__} at position {i}")
            setattr(self, str(i), m)

    def __len__(self):
        return sum(1 for _ in self.named_children())

    def __getitem__(self, i):
        layers = [m for _, m in self.named_children()]
        return type(self)(*layers[i]) if isinstance(i, slice) else layers[i]

    def __iter__(self):
        return (m for _, m in self.named_children())

    def forward(self, x):
        for m in self:
            x = m(x)
        return x

    def backward(self, dy):
        for m in reversed(list(self)):
            dy = m.backward(dy)
        return dy

