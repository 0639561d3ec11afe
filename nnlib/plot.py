"""Plotting helpers for the notebooks (matplotlib). Each returns its Figure or Axes; in Jupyter the
figure shows itself, so no ``plt.show()`` is needed.

Importing this module sets a colour-blind-safe default colour cycle (:func:`use_style`). In a
Jupyter kernel, ``import nnlib`` also calls :func:`install_figure_alt_text`: every figure the
notebook shows then carries a text alternative built from its titles, axis labels and legends
(``alt`` in the PNG output's metadata; the course's book turns it into ``<img alt=...>``), and
the list of what it lacks (:func:`figure_problems`) for the book's figure check.
"""
import re
import sys

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler

from nnlib._checks import to_numpy

__all__ = [
    "plot_history", "plot_decision_boundary", "show_images", "plot_confusion_matrix", "plot_graph",
    "draw_unrolled_rnn", "show_matrix",
    "COLORBLIND_COLORS", "use_style", "describe_figure", "figure_problems", "install_figure_alt_text",
]

# The Okabe & Ito (2008) palette, which stays distinguishable under the common colour-vision
# deficiencies (Wong 2011, Nature Methods 8:441), ordered like matplotlib's default tab10 hues so
# that C0..C4 are still blue, orange, green, red (vermillion) and purple (reddish purple).
COLORBLIND_COLORS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")


def use_style():
    """Make :data:`COLORBLIND_COLORS` matplotlib's default colour cycle (images keep viridis, itself
    colour-blind safe). Called when ``nnlib.plot`` is imported; ``plt.rcdefaults()`` undoes it."""
    matplotlib.rcParams["axes.prop_cycle"] = cycler(color=list(COLORBLIND_COLORS))
    matplotlib.rcParams["image.cmap"] = "viridis"


use_style()


def plot_history(history, figsize=None, title=None):
    """Learning curves from a :class:`nnlib.train.History`: losses, then one panel per metric.

    Returns the Figure; its axes are ``fig.axes`` (loss first), each titled by what it shows;
    ``title`` adds a figure title above them. The best epoch, when known, is marked with a
    dotted line.
    """
    names = sorted({key.split("_", 1)[1] for key in history.metrics})
    fig, axes = plt.subplots(1, 1 + len(names), figsize=figsize or (5 * (1 + len(names)), 3.5), squeeze=False)
    axes = axes[0]
    epochs = np.arange(1, history.epochs + 1)
    panels = [("loss", {"train": history.train_loss, "val": history.val_loss})]
    panels += [(n, {p: history.metrics.get(f"{p}_{n}", []) for p in ("train", "val")}) for n in names]
    for ax, (name, curves) in zip(axes, panels):
        for part, values in curves.items():
            if len(values):
                ax.plot(epochs[: len(values)], values, marker="." if len(values) < 30 else None, label=part)
        if history.best_epoch is not None:
            ax.axvline(history.best_epoch + 1, color="gray", linestyle=":", label="best epoch")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.set_title(f"{name} per epoch")
        ax.legend()
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_decision_boundary(predict_fn, X, y, ax=None, resolution=200, padding=0.5, threshold=0.5, cmap="coolwarm"):
    """Colour the plane by ``predict_fn`` and scatter the 2-D points ``X`` (N, 2) coloured by ``y`` (N,).

    predict_fn: maps a NumPy array (M, 2) to class labels (M,) of integers, class scores (M, C)
    (the argmax is taken), or one score per point (M,) or (M, 1) of floats, drawn as shades
    with the boundary at ``threshold``. Returns the Axes.
    """
    X, y = to_numpy(X).astype(np.float64), to_numpy(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary expects 2-D points X of shape (N, 2), got {X.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4.5))
    lo, hi = X.min(axis=0) - padding, X.max(axis=0) + padding
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    z = to_numpy(predict_fn(grid))
    if z.ndim == 2 and z.shape[1] > 1:
        z = z.argmax(axis=1)
    z = z.reshape(gx.shape)
    if np.issubdtype(z.dtype, np.integer) or z.dtype == bool:
        classes = np.union1d(np.unique(z), np.unique(y))
        levels = np.append(classes - 0.5, classes[-1] + 0.5)
        ax.contourf(gx, gy, z, levels=levels, cmap=cmap, alpha=0.3)
    else:
        ax.contourf(gx, gy, z, levels=20, cmap=cmap, alpha=0.3)
        if z.min() < threshold < z.max():
            ax.contour(gx, gy, z, levels=[threshold], colors="k", linewidths=1.5)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, edgecolors="k", s=25)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return ax


def show_images(images, labels=None, ncols=10, predictions=None, class_names=None, cmap="gray_r", size=1.2,
                title=None):
    """A grid of images: (N, H, W), or (N, C, H, W) with C = 1 or 3 (PyTorch layout).

    labels: titles; with ``predictions`` as well, each title reads 'true/predicted' and wrong
    predictions are drawn in red. class_names maps label integers to names. ``title`` is the
    figure's title (say what the images are). Returns the Figure.
    """
    images = to_numpy(images)
    if images.ndim == 4:
        if images.shape[1] not in (1, 3):
            raise ValueError(f"show_images expects (N, C, H, W) with C = 1 or 3, got shape {images.shape}")
        images = images[:, 0] if images.shape[1] == 1 else images.transpose(0, 2, 3, 1)
    elif images.ndim != 3:
        raise ValueError(f"show_images expects images of shape (N, H, W) or (N, C, H, W), got {images.shape}")
    n = len(images)
    if n == 0:
        raise ValueError("show_images got no images")
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3 * nrows), squeeze=False)
    name = (lambda c: class_names[int(c)]) if class_names is not None else (lambda c: str(c))
    labels = None if labels is None else to_numpy(labels)
    predictions = None if predictions is None else to_numpy(predictions)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i >= n:
            continue
        image = images[i]
        if image.ndim == 3 and image.dtype.kind == "f":
            # colour images with floats outside [0, 1] (standardized) are rescaled for display
            image = (image - image.min()) / max(image.max() - image.min(), 1e-12)
        ax.imshow(image, cmap=cmap if image.ndim == 2 else None)
        if labels is not None and predictions is not None:
            wrong = labels[i] != predictions[i]
            ax.set_title(f"{name(labels[i])}/{name(predictions[i])}", color="red" if wrong else "black", fontsize=9)
        elif labels is not None:
            ax.set_title(name(labels[i]), fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(cm, class_names=None, ax=None, normalize=False, cmap="Blues", title=None):
    """Draw a confusion matrix (rows: true class, columns: predicted class) with its counts.

    normalize=True shows each row as fractions of that true class (the per-class recall on the
    diagonal). ``title`` defaults to saying which of the two is shown. Returns the Axes.
    """
    cm = to_numpy(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"plot_confusion_matrix expects a square matrix, got shape {cm.shape}")
    k = cm.shape[0]
    names = [str(c) for c in range(k)] if class_names is None else list(class_names)
    if len(names) != k:
        raise ValueError(f"plot_confusion_matrix got {len(names)} class names for a {k}x{k} matrix")
    values = cm.astype(np.float64)
    if normalize:
        values = values / np.maximum(values.sum(axis=1, keepdims=True), 1)
    if ax is None:
        _, ax = plt.subplots(figsize=(0.5 * k + 2.5, 0.5 * k + 2))
    image = ax.imshow(values, cmap=cmap, vmin=0)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(k), names, rotation=45 if max(map(len, names)) > 2 else 0)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title or ("confusion matrix, each row as fractions of its true class" if normalize
                           else "confusion matrix (counts)"))
    threshold = values.max() / 2 if values.size else 0
    for i in range(k):
        for j in range(k):
            text = f"{values[i, j]:.2f}" if normalize else f"{int(cm[i, j])}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if values[i, j] > threshold else "black")
    return ax


def plot_graph(nodes, edges, ax=None, notes=None, node_color="#eef3fb", note_color="C3"):
    """Draw a computational graph: a box per node, an arrow per edge (notebooks 06 and 15).

    nodes: ``{name: (x, y, label)}`` (data coordinates, the text in the box); edges: ``[(src, dst)]``
    or ``[(src, dst, label)]`` (the label written at the arrow's middle); notes: ``{name: text}``
    written under a node, or ``{name: (text, "above")}`` over it, in ``note_color`` (e.g. the
    gradient that reaches the node). Returns the Axes.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 3.5))
    xs, ys = [v[0] for v in nodes.values()], [v[1] for v in nodes.values()]
    ax.set_xlim(min(xs) - 0.8, max(xs) + 0.8)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    ax.axis("off")
    boxes = {}
    for name, (x, y, label) in nodes.items():
        boxes[name] = ax.text(x, y, label, ha="center", va="center", fontsize=9, zorder=3,
                              bbox=dict(boxstyle="round,pad=0.4", facecolor=node_color, edgecolor="0.3"))
    for edge in edges:
        src, dst, label = (*edge, None) if len(edge) == 2 else edge
        if src not in nodes or dst not in nodes:
            raise ValueError(f"plot_graph: edge {src!r} -> {dst!r} names a node that is not in nodes {sorted(nodes)}")
        (x0, y0, _), (x1, y1, _) = nodes[src], nodes[dst]
        # drawn after the boxes (higher zorder), so each arrow is clipped to their outlines as laid out in
        # this very drawing, and its head stays visible
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), zorder=4,
                    arrowprops=dict(arrowstyle="-|>", color="0.4", lw=1.2, shrinkA=1, shrinkB=1,
                                    patchA=boxes[src].get_bbox_patch(), patchB=boxes[dst].get_bbox_patch()))
        if label:
            ax.text((x0 + x1) / 2, (y0 + y1) / 2, label, ha="center", va="bottom", fontsize=8, color="0.3")
    for name, note in (notes or {}).items():
        if name not in nodes:
            raise ValueError(f"plot_graph: a note for {name!r}, which is not a node")
        text, side = (note, "below") if isinstance(note, str) else note
        if side not in ("above", "below"):
            raise ValueError(f"plot_graph: a note goes 'above' or 'below' its node, got {side!r}")
        x, y, _ = nodes[name]
        offset, align = (0.3, "bottom") if side == "above" else (-0.3, "top")
        ax.text(x, y + offset, text, ha="center", va=align, fontsize=8, color=note_color, zorder=2)
    return ax


def draw_unrolled_rnn(steps=4, outputs="all", chunk=None, gradients=False, ax=None):
    """Draw a recurrent network unrolled over ``steps`` time steps with :func:`plot_graph`: one cell per
    step, all sharing the same weights, each reading x_t and the previous hidden state (notebook 15,
    sections 2, 3 and 6).

    ``outputs``: ``"all"`` (many-to-many: a prediction at every step) or ``"last"`` (many-to-one: only
    the last hidden state is read). ``chunk``: a dashed boundary every ``chunk`` steps, as in truncated
    backpropagation through time (the state is carried across it, the gradient is not).
    ``gradients``: the backward pass too, in red, right to left. Returns the Axes.
    """
    if outputs not in ("all", "last"):
        raise ValueError(f"draw_unrolled_rnn: outputs must be 'all' or 'last', got {outputs!r}")
    if steps < 1 or (chunk is not None and chunk < 1):
        raise ValueError(f"draw_unrolled_rnn expects steps >= 1 and chunk >= 1, got steps={steps}, chunk={chunk}")
    if ax is None:
        _, ax = plt.subplots(figsize=(1.6 * steps + 1.5, 3.2))
    nodes, edges = {"h0": (0, 0, "$h_0$")}, []
    for t in range(1, steps + 1):
        nodes[f"x{t}"] = (t, -1.1, f"$x_{{{t}}}$")
        nodes[f"cell{t}"] = (t, 0, "cell")
        edges += [(f"x{t}", f"cell{t}"), ("h0" if t == 1 else f"cell{t - 1}", f"cell{t}", f"$h_{{{t - 1}}}$")]
        if outputs == "all" or t == steps:
            nodes[f"y{t}"] = (t, 1.1, f"$\\hat y_{{{t}}}$" if outputs == "all" else "$\\hat y$")
            edges.append((f"cell{t}", f"y{t}"))
    plot_graph(nodes, edges, ax=ax)
    backward = dict(arrowstyle="-|>", color="tab:red", lw=1.2)
    for t in range(1, steps + 1):
        boundary = chunk is not None and t % chunk == 0 and t < steps
        if gradients and t < steps and not boundary:  # dL/dh_t from step t + 1, under the forward arrow
            ax.annotate("", (t + 0.3, -0.22), (t + 0.7, -0.22), arrowprops=backward)
        if gradients and f"y{t}" in nodes:  # dL/dh_t from the prediction at t
            ax.annotate("", (t - 0.15, 0.25), (t - 0.15, 0.85), arrowprops=backward)
        if boundary:
            ax.axvline(t + 0.5, color="gray", ls="--", lw=1)
            ax.text(t + 0.5, -1.65, "state carried,\ngradient stops", ha="center", va="center", fontsize=8, color="gray")
    ax.text(steps + 0.7, 1.7, "every cell: the same $W_{ih}, W_{hh}, b$", ha="right", fontsize=9, color="tab:blue")
    if gradients:
        ax.text(-0.7, 1.7, "red: the backward pass\n(gradients, right to left)", ha="left", va="center",
                fontsize=8, color="tab:red")
    ax.set_ylim(-2.0, 2.0)
    kind = "many-to-many" if outputs == "all" else "many-to-one"
    ax.set_title(f"an RNN unrolled over {steps} steps ({kind})" + (", truncated BPTT" if chunk else ""))
    return ax


def _text_colour(rgba):
    """Black or white, whichever reads better on a cell of colour ``rgba``.

    The relative luminance of sRGB (ITU-R BT.709 weights on the linearised channels, as WCAG
    defines it) is below about 0.18 for the dark ends of a colour map; white text is the readable
    one there, black text everywhere else.
    """
    rgb = np.asarray(rgba[:3], dtype=np.float64)
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    luminance = float(linear @ np.array([0.2126, 0.7152, 0.0722]))
    return "white" if luminance < 0.18 else "black"


def show_matrix(values, ax=None, cmap="RdBu_r", vmin=None, vmax=None, fmt="{:g}", title=None, fontsize=9):
    """Draw a 2-D array as coloured cells with each value written in its cell.

    values: (H, W). vmin/vmax: the colour range (default: symmetric around 0, ``max |value|``, so
    that 0 is the middle colour of a diverging map). The text of each cell is white on dark cells
    and black on light ones, so every number stays readable. Returns the Axes (ticks off).
    """
    values = to_numpy(values)
    if values.ndim != 2:
        raise ValueError(f"show_matrix expects a 2-D array, got shape {values.shape}")
    if vmin is None and vmax is None:
        vmax = float(np.abs(values).max()) or 1.0
        vmin = -vmax
    if ax is None:
        _, ax = plt.subplots(figsize=(0.6 * values.shape[1] + 0.5, 0.6 * values.shape[0] + 0.5))
    image = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax)
    for (r, c), v in np.ndenumerate(values):
        ax.text(c, r, fmt.format(v), ha="center", va="center", fontsize=fontsize,
                color=_text_colour(image.cmap(image.norm(v))))
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title)
    return ax


# --- text alternatives and the figure check --------------------------------------------------------
def _plain(text):
    """Mathtext to words for a screen reader: '$\\theta_1$' -> 'theta_1'."""
    return re.sub(r"\s+", " ", re.sub(r"[$\\{}]", "", text or "")).strip()


def _panels(fig):
    """The figure's drawing panels: not colour bars (matplotlib labels those '<colorbar>'), nor the
    empty, hidden cells at the end of a grid."""
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>" and ax.get_visible()
            and (ax.axison or ax.has_data() or ax.texts)]


def _suptitles(ax):
    """The titles of the figure and sub-figures that hold ``ax``, outermost first."""
    titles, holder = [], ax.get_figure(root=False)
    while True:
        if holder.get_suptitle().strip():
            titles.insert(0, _plain(holder.get_suptitle()))
        parent = holder.get_figure(root=False)
        if parent is holder:
            return titles
        holder = parent


def _titled(ax, panels):
    """A panel has a title of its own, one of a (sub-)figure holding it, or is the twin
    (``ax.twinx()``) of a panel that does: drawn in the same place, it shares that title."""
    twins = [other for other in panels if other is not ax and other.get_position().bounds == ax.get_position().bounds]
    return any(a.get_title().strip() or _suptitles(a) for a in [ax] + twins)


def _shows_axis(ax, which):
    """True when the x or y axis of a panel is drawn with ticks, so it needs a label to be read."""
    if not ax.axison or ax.name == "polar":
        return False
    axis = ax.xaxis if which == "x" else ax.yaxis
    ticks = ax.get_xticks() if which == "x" else ax.get_yticks()
    return axis.get_visible() and len(ticks) > 0


def _aligned(ax, other, which):
    """True when ``other`` sits in the same column (x) or row (y) of the layout as ``ax`` (a twin
    drawn in the very same place is not: its other axis has a scale of its own)."""
    (x0, y0, w, h), (x1, y1, w1, h1) = ax.get_position().bounds, other.get_position().bounds
    if np.allclose((x0, y0, w, h), (x1, y1, w1, h1), atol=1e-3):
        return False
    return np.allclose((x0, w), (x1, w1), atol=1e-3) if which == "x" else np.allclose((y0, h), (y1, h1), atol=1e-3)


def _label(ax, which, panels):
    """The panel's own axis label, one on a panel it shares that axis with or that sits in its
    column (x) or row (y) (the usual layout labels only the outer panels: ``sharex=True``,
    ``label_outer``), or the figure's ``supxlabel``/``supylabel``."""
    get = (lambda a: a.get_xlabel()) if which == "x" else (lambda a: a.get_ylabel())
    common = ax.figure.get_supxlabel() if which == "x" else ax.figure.get_supylabel()
    shared = ax.get_shared_x_axes() if which == "x" else ax.get_shared_y_axes()
    mates = [a for a in panels if a is not ax and (a in shared.get_siblings(ax) or _aligned(ax, a, which))]
    for other in [ax] + mates:
        if get(other).strip():
            return _plain(get(other))
    return _plain(common)


def describe_figure(fig):
    """A text alternative for ``fig``: its title, then each panel's title, axis labels and legend.

    Grids of images (panels drawn with the axes off) are summed up in one sentence.
    """
    panels = _panels(fig)
    parts = []
    title = _plain(fig.get_suptitle())
    if title:
        parts.append(f"{title}.")
    for inner in dict.fromkeys(t for ax in panels for t in _suptitles(ax) if t != title):  # sub-figures'
        parts.append(f"{inner}.")
    images = [ax for ax in panels if not ax.axison and ax.images]
    if images:
        names = [_plain(ax.get_title()) for ax in images if ax.get_title().strip()]
        shown = ", ".join(names[:12]) + (" and more" if len(names) > 12 else "")
        parts.append(f"{len(images)} image{'s' if len(images) > 1 else ''}" + (f" titled {shown}." if names else "."))
    charts = [ax for ax in panels if ax not in images]
    for i, ax in enumerate(charts):
        bits = []
        if ax.get_title().strip():
            bits.append(_plain(ax.get_title()))
        for which in ("x", "y"):
            label = _label(ax, which, panels)
            if label:
                bits.append(f"{which} axis: {label}")
        if not ax.axison and ax.texts:  # a diagram drawn in text boxes (plot_graph): what the boxes say
            words = [_plain(t.get_text()) for t in ax.texts if t.get_text().strip()]
            bits.append("labels: " + ", ".join(words[:12]) + (" and more" if len(words) > 12 else ""))
        legend = ax.get_legend()
        if legend is not None:
            entries = [_plain(t.get_text()) for t in legend.get_texts() if t.get_text().strip()]
            if entries:
                bits.append("legend: " + ", ".join(entries))
        prefix = f"Panel {i + 1} of {len(charts)}: " if len(charts) > 1 else ""
        parts.append(prefix + ("; ".join(bits) if bits else "a plot with no title or labels") + ".")
    scales = [_plain(c.get_ylabel() or c.get_xlabel()) for c in fig.axes if c.get_label() == "<colorbar>"]
    if scales:
        named = [s for s in scales if s]
        parts.append(f"Colour scale: {', '.join(named)}." if named else "With a colour scale.")
    return " ".join(parts) or "An empty figure."


def figure_problems(fig):
    """What a reader needs and ``fig`` lacks: [] when it has a title and every drawn axis is labelled.

    A title is the figure's suptitle, or over each panel a title of its own or of the sub-figure
    holding it (a ``twinx`` panel shares its host's); a drawn axis (ticks shown) needs a label of its
    own or on a panel that shares it. Colour bars and image grids with the axes off need no axis
    labels.
    """
    panels = _panels(fig)
    problems = []
    untitled = [i + 1 for i, ax in enumerate(panels) if not _titled(ax, panels)]
    if untitled:
        if len(untitled) == len(panels):
            problems.append("no title" if len(panels) == 1 else f"no title (no suptitle, and none of its {len(panels)} panels has one)")
        elif len(untitled) <= 6:
            problems.append(f"no suptitle, and panel(s) {untitled} have no title")
        else:
            problems.append(f"no suptitle, and {len(untitled)} of its {len(panels)} panels have no title")
    for i, ax in enumerate(panels):
        name = "" if len(panels) == 1 else f"panel {i + 1}: "
        for which in ("x", "y"):
            if _shows_axis(ax, which) and not _label(ax, which, panels):
                problems.append(f"{name}no {which}-axis label")
    return problems


_ALT_MARK = "_nnlib_alt_text"


def _with_alt_text(print_figure):
    """Wrap IPython's figure printer so it returns ``(data, {"alt": ..., ...})`` (IPython's formatters
    may return such a pair; the metadata lands in the output beside the image)."""

    def printer(fig):
        data = print_figure(fig)
        if data is None:
            return None
        data, metadata = data if isinstance(data, tuple) else (data, {})
        metadata = dict(metadata or {}, alt=describe_figure(fig))
        problems = figure_problems(fig)
        if problems:
            metadata["nnlib_figure_problems"] = problems
        return data, metadata

    setattr(printer, _ALT_MARK, True)
    return printer


def _wrap_figure_formatters(shell):
    from matplotlib.figure import Figure

    for mime in ("image/png", "image/svg+xml", "image/jpeg"):
        formatter = shell.display_formatter.formatters.get(mime)
        if formatter is None:
            continue
        try:
            current = formatter.lookup_by_type(Figure)
        except KeyError:
            continue
        if not getattr(current, _ALT_MARK, False):
            formatter.for_type(Figure, _with_alt_text(current))


def install_figure_alt_text(shell=None):
    """Give every figure shown in this IPython kernel a text alternative (see the module docstring).

    The inline backend registers its figure formatters when it is first loaded (and again after
    ``%matplotlib inline``), so they are wrapped now and re-checked before each cell runs.
    Returns True if installed, False outside IPython.
    """
    if shell is None:
        ipython = sys.modules.get("IPython")
        shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or not hasattr(shell, "display_formatter"):
        return False
    backend = matplotlib.rcParams._get("backend")
    if isinstance(backend, str) and "inline" in backend:
        # Loading the inline backend registers its formatters; wrapping them before would be undone.
        import matplotlib_inline.backend_inline  # noqa: F401
    _wrap_figure_formatters(shell)
    if not getattr(shell, _ALT_MARK, False):
        shell.events.register("pre_run_cell", lambda *args: _wrap_figure_formatters(shell))
        setattr(shell, _ALT_MARK, True)
    return True
