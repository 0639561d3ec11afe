"""Interactive playgrounds for the notebooks, with a static figure wherever no live front end is attached.

Each playground is a public ``draw_*`` function that makes one matplotlib figure from plain
arguments, wrapped by :func:`playground`: in a live Jupyter kernel with ipywidgets it returns an
``ipywidgets.interactive`` whose sliders redraw the figure; anywhere else (a script, pytest,
nbconvert without a kernel front end, ipywidgets missing) it draws the figure once with the
default values and returns it. The math comes from ``nnlib.numpy`` (activations, optimizers);
this module only draws.

    from nnlib.widgets import neuron_playground
    neuron_playground(X, y)          # sliders for w1, w2, b in JupyterLab; a figure elsewhere
"""
import os
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

import nnlib.plot  # noqa: F401  (the course's colour-blind-safe style)

__all__ = [
    "Slider",
    "has_live_frontend",
    "playground",
    "draw_neuron",
    "neuron_playground",
    "ACTIVATIONS",
    "draw_activation",
    "activation_explorer",
    "descend",
    "draw_descent",
    "learning_rate_explorer",
]


# --- the generic helper --------------------------------------------------------------------------
@dataclass(frozen=True)
class Slider:
    """A slider for :func:`playground`: starts at ``value`` and moves from ``min`` to ``max``.

    With ``log=True`` it moves the exponent (``ipywidgets.FloatLogSlider``), which suits
    learning rates; ``step`` is then a step of log10. Integer ``value``, ``min``, ``max`` and
    ``step`` give an integer slider.
    """

    value: float
    min: float
    max: float
    step: float = None
    log: bool = False

    def __post_init__(self):
        if not self.min <= self.value <= self.max:
            raise ValueError(f"Slider value {self.value} lies outside [{self.min}, {self.max}]")
        if self.log and self.min <= 0:
            raise ValueError(f"a log Slider needs min > 0, got min={self.min}")

    def widget(self, description):
        import ipywidgets

        if self.log:
            step = 0.1 if self.step is None else self.step
            return ipywidgets.FloatLogSlider(
                value=self.value, base=10, min=np.log10(self.min), max=np.log10(self.max), step=step,
                description=description, continuous_update=False,
            )
        if all(isinstance(v, (int, np.integer)) for v in (self.value, self.min, self.max, self.step or 1)):
            return ipywidgets.IntSlider(
                value=self.value, min=self.min, max=self.max, step=self.step or 1,
                description=description, continuous_update=False,
            )
        step = (self.max - self.min) / 100 if self.step is None else self.step
        return ipywidgets.FloatSlider(
            value=self.value, min=self.min, max=self.max, step=step,
            description=description, continuous_update=False,
        )


def has_live_frontend() -> bool:
    """True inside a Jupyter kernel (an IPython ZMQ shell) where ipywidgets can be imported.

    The environment variable ``NNLIB_WIDGETS=static`` says no: a kernel run by a program with no
    widget front end (the book build) gets the static figures, which it can keep.
    """
    if os.environ.get("NNLIB_WIDGETS", "").lower() == "static":
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return _in_kernel()


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    # Terminal IPython and plain Python have no widget front end; only a kernel talks to one.
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _default(control):
    """The value a control starts at: a Slider's value, a list's first option, anything else as is."""
    if isinstance(control, Slider):
        return control.value
    if isinstance(control, list):
        return control[0]
    return control


def playground(draw_fn, *, live=None, **controls):
    """Redraw ``draw_fn(**values)`` as the controls move; a static figure where nothing is live.

    ``controls`` maps each argument of ``draw_fn`` to a :class:`Slider`, a list of options (a
    drop-down; the first is the default) or a fixed value (passed unchanged). ``draw_fn`` returns a
    matplotlib figure. ``live=None`` decides by :func:`has_live_frontend`; ``True`` always builds the
    widget, ``False`` always draws once.

    Returns the ``ipywidgets.interactive`` (live) or the figure drawn with the defaults (static);
    either shows when it is the last expression of a notebook cell.
    """
    if live is None:
        live = has_live_frontend()
    if not live:
        fig = draw_fn(**{name: _default(c) for name, c in controls.items()})
        if _in_kernel():
            # The returned figure is displayed by the cell; closing it stops the inline
            # backend from showing it a second time.
            plt.close(fig)
        return fig

    import ipywidgets
    from IPython.display import display

    def redraw(**values):
        fig = draw_fn(**values)
        display(fig)
        plt.close(fig)  # shown once, in the widget's output area; no figure piles up per slider move

    widgets = {}
    for name, c in controls.items():
        if isinstance(c, Slider):
            widgets[name] = c.widget(name)
        elif isinstance(c, list):
            widgets[name] = ipywidgets.Dropdown(options=c, value=c[0], description=name)
        else:
            widgets[name] = ipywidgets.fixed(c)
    return ipywidgets.interactive(redraw, **widgets)


# --- 01: a single neuron -------------------------------------------------------------------------
def draw_neuron(X, y, w1=1.0, w2=1.0, b=-1.5, *, lim=None, title=None, ax=None):
    """One sigmoid neuron p = sigmoid(w1 x1 + w2 x2 + b) on 2-D points ``X`` (N, 2) with labels ``y`` (N,).

    Shades p over the plane, draws the decision boundary w1 x1 + w2 x2 + b = 0 (where p = 1/2)
    and reports the accuracy of the rule "class 1 where p > 1/2". Returns the figure (the one
    holding ``ax`` when given; a colour bar is added only to a figure made here).
    """
    import nnlib.numpy as nn

    X, y = np.asarray(X, dtype=np.float64), np.asarray(y)
    neuron = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
    neuron[0].weight.data[...] = [[w1, w2]]
    neuron[0].bias.data[...] = [b]

    if lim is None:
        lo, hi = X.min(axis=0), X.max(axis=0)
        pad = 0.25 * (hi - lo).max() + 0.1
        lim = (min(lo) - pad, max(hi) + pad)
    grid = np.linspace(lim[0], lim[1], 200)
    g1, g2 = np.meshgrid(grid, grid)
    p = neuron(np.column_stack([g1.ravel(), g2.ravel()])).reshape(g1.shape)
    accuracy = np.mean((neuron(X)[:, 0] > 0.5) == (y > 0.5))

    own_figure = ax is None
    fig, ax = plt.subplots(figsize=(5, 4.4)) if own_figure else (ax.figure, ax)
    shade = ax.contourf(g1, g2, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.45)
    if own_figure:
        fig.colorbar(shade, ax=ax, label="neuron output p")
    if np.any(p > 0.5) and np.any(p < 0.5):
        ax.contour(g1, g2, p, levels=[0.5], colors="k", linewidths=2)
    ax.scatter(*X[y <= 0.5].T, c="tab:blue", edgecolors="k", s=40, label="class 0")
    ax.scatter(*X[y > 0.5].T, c="tab:red", edgecolors="k", marker="s", s=40, label="class 1")
    ax.set(xlim=lim, ylim=lim, xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    ax.set_title(title or f"$w$ = ({w1:.2f}, {w2:.2f}), $b$ = {b:.2f}: accuracy {accuracy:.0%}")
    ax.legend(loc="upper left", fontsize=8)
    if own_figure:
        fig.tight_layout()
    return fig


def neuron_playground(X, y, w1=1.0, w2=1.0, b=-1.5, *, live=None, limit=5.0):
    """Sliders for the weights and the bias of one neuron; the decision boundary on ``X`` redrawn."""
    return playground(
        draw_neuron, live=live, X=np.asarray(X), y=np.asarray(y),
        w1=Slider(w1, -limit, limit, 0.1), w2=Slider(w2, -limit, limit, 0.1), b=Slider(b, -limit, limit, 0.1),
    )


# --- 02: activation functions --------------------------------------------------------------------
def _activations():
    import nnlib.numpy as nn

    return {
        "sigmoid": nn.Sigmoid,
        "tanh": nn.Tanh,
        "relu": nn.ReLU,
        "leaky_relu": lambda: nn.LeakyReLU(0.1),
        "leaky_relu (0.01)": nn.LeakyReLU,
        "gelu": nn.GELU,
        "silu": nn.SiLU,
    }


ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "leaky_relu (0.01)", "gelu", "silu")


def draw_activation(name="sigmoid", z_max=6.0, threshold=0.05):
    """An activation f and its derivative f' on [-z_max, z_max]; where |f'| < threshold is shaded.

    f' comes from the module's own backward (upstream gradient 1), not from a formula here.
    ``name`` is one of :data:`ACTIVATIONS` ("leaky_relu" uses slope 0.1 so the leak is visible).
    Returns the figure.
    """
    if name not in ACTIVATIONS:
        raise ValueError(f"draw_activation: unknown activation {name!r}; choose one of {ACTIVATIONS}")
    f = _activations()[name]()
    z = np.linspace(-z_max, z_max, 801)
    out = f(z)
    slope = f.backward(np.ones_like(z))
    flat = np.abs(slope) < threshold

    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    edges = np.flatnonzero(np.diff(np.r_[0, flat.astype(int), 0]))
    for k, (start, stop) in enumerate(zip(edges[::2], edges[1::2])):
        ax.axvspan(z[start], z[stop - 1], color="0.85",
                   label=f"saturated: |f'| < {threshold:g}" if k == 0 else None)
    ax.plot(z, out, lw=2.5, label=f"{name}(z)")
    ax.plot(z, slope, "--", lw=2, label=f"{name}'(z) (from backward)")
    ax.axhline(0, color="k", lw=0.5)
    ax.axvline(0, color="k", lw=0.5)
    ax.set(xlabel="z", ylabel=f"{name}(z) and its slope", xlim=(-z_max, z_max),
           title=f"{name}: {flat.mean():.0%} of [-{z_max:g}, {z_max:g}] passes almost no gradient")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def activation_explorer(name="sigmoid", z_max=6.0, threshold=0.05, *, live=None):
    """Choose an activation; see it, its derivative and its saturated regions (shaded)."""
    names = [name] + [n for n in ACTIVATIONS if n != name]
    return playground(
        draw_activation, live=live, name=names,
        z_max=Slider(z_max, 1.0, 20.0, 0.5), threshold=Slider(threshold, 0.001, 0.25, 0.001),
    )


# --- 04: gradient descent on a 2-D surface -------------------------------------------------------
def descend(grad, start, optimizer, steps):
    """Run ``steps`` updates of ``optimizer`` (a factory: ``params -> nnlib optimizer``) on a 2-D point.

    ``grad(p)`` returns the gradient at the point ``p`` (shape (2,)). The point is an
    ``nnlib.numpy.Parameter``, so the optimizer is exactly the one used to train networks.
    Returns the trajectory, shape (steps + 1, 2); it stops early (shorter) if the point stops
    being finite, since a diverging run has nothing more to show.
    """
    import nnlib.numpy as nn

    point = nn.Parameter(np.array(start, dtype=np.float64))
    opt = optimizer([point])
    path = [point.data.copy()]
    for _ in range(steps):
        opt.zero_grad()
        point.accumulate(np.asarray(grad(point.data), dtype=np.float64))
        opt.step()
        path.append(point.data.copy())
        if not np.all(np.isfinite(point.data)):
            break
    return np.array(path)


# one colour, marker and line style per path, so that paths that overlap can still be told apart
_PATH_STYLES = [("tab:blue", "o", "-"), ("tab:orange", "s", "--"), ("tab:green", "^", "-."),
                ("tab:red", "D", ":"), ("tab:purple", "v", "-"), ("tab:brown", "P", "--")]


def draw_descent(f, paths, xlim=(-2.0, 2.0), ylim=(-1.0, 3.0), *, minimum=None, title=None, ax=None):
    """Contours of ``f(x, y)`` (vectorized) with one or more trajectories ``{label: (T, 2) array}``.

    Each path gets its own colour, marker (about a dozen along it) and line style, and its end
    point is drawn large; the start is a black dot. The legend sits below the axes, off the paths.
    Returns the figure (the one holding ``ax`` when given).
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 4.5))
    else:
        fig = ax.figure
    gx, gy = np.meshgrid(np.linspace(*xlim, 300), np.linspace(*ylim, 300))
    values = f(gx, gy)
    levels = np.quantile(values, np.linspace(0, 1, 40) ** 3)  # dense near the minimum, where the action is
    ax.contour(gx, gy, values, levels=np.unique(levels), cmap="Greys", linewidths=0.6, alpha=0.6)
    for k, (label, path) in enumerate(paths.items()):
        path = np.asarray(path)
        color, marker, style = _PATH_STYLES[k % len(_PATH_STYLES)]
        ax.plot(path[:, 0], path[:, 1], color=color, ls=style, lw=1.6, marker=marker, ms=5,
                markevery=max(1, len(path) // 12), label=f"{label} ({len(path) - 1} steps)")
        ax.plot(*path[-1], marker=marker, color=color, ms=10, mec="k", ls="none")
        ax.plot(*path[0], "ko", ms=5)
    if minimum is not None:
        ax.plot(*minimum, "*", color="gold", mec="k", ms=15, ls="none", label="minimum")
    ax.set(xlim=xlim, ylim=ylim, xlabel="$\\theta_1$", ylabel="$\\theta_2$")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def _explore_lr(f, grad, start, lr, steps, optimizer, xlim, ylim, minimum):
    import nnlib.numpy as nn

    factories = {
        "SGD": lambda ps: nn.SGD(ps, lr=lr),
        "SGD + momentum 0.9": lambda ps: nn.SGD(ps, lr=lr, momentum=0.9),
        "RMSprop": lambda ps: nn.RMSprop(ps, lr=lr),
        "Adam": lambda ps: nn.Adam(ps, lr=lr),
    }
    path = descend(grad, start, factories[optimizer], steps)
    final = f(*path[-1]) if np.all(np.isfinite(path[-1])) else np.inf
    return draw_descent(f, {f"{optimizer}, lr = {lr:.3g}": path}, xlim, ylim, minimum=minimum,
                        title=f"loss after {len(path) - 1} steps: {final:.3g}")


def learning_rate_explorer(f, grad, start, lr=0.01, steps=50, optimizer="SGD", *,
                           xlim=(-2.0, 2.0), ylim=(-1.0, 3.0), minimum=None, lr_range=(1e-4, 1.0), live=None):
    """Gradient descent on the surface ``f`` (vectorized ``f(x, y)``, gradient ``grad(p)``) from ``start``.

    A log slider sets the learning rate, another the number of steps, a drop-down the optimizer
    (SGD, SGD + momentum 0.9, RMSprop, Adam: nnlib's, with torch.optim's defaults otherwise).
    """
    options = ["SGD", "SGD + momentum 0.9", "RMSprop", "Adam"]
    if optimizer not in options:
        raise ValueError(f"learning_rate_explorer: unknown optimizer {optimizer!r}; choose one of {options}")
    return playground(
        _explore_lr, live=live, f=f, grad=grad, start=tuple(start), xlim=xlim, ylim=ylim, minimum=minimum,
        lr=Slider(lr, lr_range[0], lr_range[1], 0.05, log=True),
        steps=Slider(int(steps), 1, max(500, int(steps)), 1),
        optimizer=[optimizer] + [o for o in options if o != optimizer],
    )
