"""nnlib.widgets: each playground draws a static figure under Agg and builds the expected sliders when live."""
import sys

import matplotlib

matplotlib.use("Agg")

import ipywidgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import nnlib.numpy as nn  # noqa: E402
from nnlib import widgets  # noqa: E402

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y_AND = np.array([0.0, 0.0, 0.0, 1.0])


def quadratic(x, y):
    return 0.5 * (x**2 + 10 * y**2)


def quadratic_grad(p):
    return np.array([p[0], 10 * p[1]])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _controls(widget):
    """{description: control} for the interactive's sliders and drop-downs."""
    return {c.description: c for c in widget.children if isinstance(c, ipywidgets.ValueWidget)}


def test_no_live_frontend_outside_a_kernel():
    assert widgets.has_live_frontend() is False


class ZMQInteractiveShell:
    """Stands in for the shell of a Jupyter kernel: only its class name is looked at."""


def test_a_kernel_with_ipywidgets_is_live_and_one_without_is_not(monkeypatch):
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: ZMQInteractiveShell())
    assert widgets.has_live_frontend() is True
    monkeypatch.setitem(sys.modules, "ipywidgets", None)   # as if ipywidgets were not installed
    assert widgets.has_live_frontend() is False
    monkeypatch.undo()   # matplotlib would try to hook into the stand-in shell: fake only the kernel test itself
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    monkeypatch.setattr(widgets, "_in_kernel", lambda: True)
    fig = widgets.neuron_playground(X, Y_AND)               # falls back to the static figure
    assert isinstance(fig, plt.Figure)
    assert plt.get_fignums() == []   # closed: the cell displays the returned figure, the inline backend must not repeat it


def test_playground_static_fallback_calls_draw_fn_with_the_defaults():
    seen = {}

    def draw(a, b, kind, fixed):
        seen.update(a=a, b=b, kind=kind, fixed=fixed)
        return plt.figure()

    fig = widgets.playground(draw, a=widgets.Slider(0.5, 0, 1), b=widgets.Slider(3, 1, 9, 1), kind=["x", "y"], fixed=7)
    assert isinstance(fig, plt.Figure)
    assert seen == {"a": 0.5, "b": 3, "kind": "x", "fixed": 7}


def test_playground_live_builds_sliders_dropdowns_and_fixed_values():
    calls = []

    def draw(a, b, lr, kind, fixed):
        calls.append((a, b, lr, kind, fixed))
        return plt.figure()

    w = widgets.playground(
        draw, live=True, a=widgets.Slider(0.5, 0.0, 1.0), b=widgets.Slider(3, 1, 9, 1),
        lr=widgets.Slider(0.01, 1e-4, 1.0, log=True), kind=["x", "y"], fixed=7,
    )
    assert isinstance(w, ipywidgets.interactive)
    controls = _controls(w)
    assert set(controls) == {"a", "b", "lr", "kind"}
    assert isinstance(controls["a"], ipywidgets.FloatSlider)
    assert isinstance(controls["b"], ipywidgets.IntSlider)
    assert isinstance(controls["lr"], ipywidgets.FloatLogSlider)
    assert isinstance(controls["kind"], ipywidgets.Dropdown)
    assert calls == [(0.5, 3, pytest.approx(0.01), "x", 7)]   # drawn once on creation, with the defaults
    controls["b"].value = 5
    assert calls[-1][1] == 5                                     # moving a slider redraws
    assert plt.get_fignums() == []                               # each redraw closes its figure


def test_slider_rejects_a_start_outside_its_range():
    with pytest.raises(ValueError, match="outside"):
        widgets.Slider(2.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="min > 0"):
        widgets.Slider(0.1, 0.0, 1.0, log=True)


def test_neuron_playground_static_figure_shows_the_boundary_and_accuracy():
    fig = widgets.neuron_playground(X, Y_AND, w1=1.0, w2=1.0, b=-1.5)
    ax = fig.axes[0]
    assert "accuracy 100%" in ax.get_title()         # x1 + x2 - 1.5 > 0 is AND
    fig = widgets.draw_neuron(X, Y_AND, 1.0, 1.0, -0.5)
    assert "accuracy 50%" in fig.axes[0].get_title()  # that line is OR: wrong on (0, 1) and (1, 0)


def test_neuron_playground_live_has_weight_and_bias_sliders():
    w = widgets.neuron_playground(X, Y_AND, w1=2.0, live=True)
    controls = _controls(w)
    assert set(controls) == {"w1", "w2", "b"}
    assert controls["w1"].value == 2.0 and all(isinstance(c, ipywidgets.FloatSlider) for c in controls.values())


def test_draw_neuron_into_given_axes_adds_no_colorbar():
    fig, axes = plt.subplots(1, 2)
    assert widgets.draw_neuron(X, Y_AND, ax=axes[1]) is fig
    assert len(fig.axes) == 2


@pytest.mark.parametrize("name", widgets.ACTIVATIONS)
def test_activation_explorer_static_figure_plots_function_and_derivative(name):
    fig = widgets.activation_explorer(name, z_max=5.0)
    ax = fig.axes[0]
    f, df = ax.get_lines()[:2]
    z = f.get_xdata()
    assert z[0] == -5.0 and z[-1] == 5.0
    assert np.all(np.isfinite(f.get_ydata())) and np.all(np.isfinite(df.get_ydata()))


def test_activation_explorer_shades_exactly_where_the_derivative_is_small():
    fig = widgets.draw_activation("sigmoid", z_max=10.0, threshold=0.01)
    spans = fig.axes[0].patches
    assert len(spans) == 2     # both tails of the sigmoid saturate
    # sigmoid'(z) = 0.01 at |z| = log((1 + sqrt(0.96)) / (1 - sqrt(0.96))) ~ 4.585
    edge = np.log((1 + np.sqrt(0.96)) / (1 - np.sqrt(0.96)))
    inner = sorted(abs(x) for p in spans for x in (p.get_x(), p.get_x() + p.get_width()))[:2]
    assert np.allclose(inner, edge, atol=0.03)
    relu = widgets.draw_activation("relu", z_max=4.0)
    assert len(relu.axes[0].patches) == 1   # only the negative half is dead


def test_activation_explorer_live_has_a_choice_and_sliders():
    w = widgets.activation_explorer("tanh", live=True)
    controls = _controls(w)
    assert set(controls) == {"name", "z_max", "threshold"}
    assert controls["name"].value == "tanh" and set(controls["name"].options) == set(widgets.ACTIVATIONS)


def test_draw_activation_rejects_an_unknown_name():
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        widgets.draw_activation("swish")


def test_descend_with_sgd_is_gradient_descent():
    lr = 0.05
    path = widgets.descend(quadratic_grad, (1.0, 1.0), lambda ps: nn.SGD(ps, lr=lr), steps=20)
    assert path.shape == (21, 2)
    k = np.arange(21)
    # On a quadratic each coordinate shrinks by (1 - lr * curvature) per step.
    assert np.allclose(path[:, 0], (1 - lr) ** k) and np.allclose(path[:, 1], (1 - 10 * lr) ** k)


def test_descend_stops_when_the_point_is_no_longer_finite():
    with np.errstate(over="ignore", invalid="ignore"):
        path = widgets.descend(lambda p: np.exp(np.abs(p)) * np.sign(p), (3.0, 3.0), lambda ps: nn.SGD(ps, lr=10.0), 50)
    assert len(path) < 51 and not np.all(np.isfinite(path[-1]))


@pytest.mark.parametrize("optimizer", ["SGD", "SGD + momentum 0.9", "RMSprop", "Adam"])
def test_learning_rate_explorer_static_figure_draws_the_trajectory(optimizer):
    fig = widgets.learning_rate_explorer(quadratic, quadratic_grad, (1.5, 1.0), lr=0.05, steps=30,
                                         optimizer=optimizer, minimum=(0, 0))
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert any(label.startswith(optimizer) and "30 steps" in label for label in labels)


def test_learning_rate_explorer_live_has_a_log_learning_rate_slider():
    w = widgets.learning_rate_explorer(quadratic, quadratic_grad, (1.5, 1.0), lr=0.05, live=True)
    controls = _controls(w)
    assert set(controls) == {"lr", "steps", "optimizer"}
    assert isinstance(controls["lr"], ipywidgets.FloatLogSlider) and controls["lr"].value == pytest.approx(0.05)
    assert isinstance(controls["steps"], ipywidgets.IntSlider)


def test_learning_rate_explorer_rejects_an_unknown_optimizer():
    with pytest.raises(ValueError, match="unknown optimizer 'Lion'"):
        widgets.learning_rate_explorer(quadratic, quadratic_grad, (1.0, 1.0), optimizer="Lion")


def test_playground_figures_have_titles_and_labelled_axes():
    from nnlib.plot import figure_problems

    figures = [widgets.neuron_playground(X, Y_AND, live=False), widgets.activation_explorer("tanh", live=False),
               widgets.learning_rate_explorer(quadratic, quadratic_grad, (1.5, 1.0), live=False)]
    assert [figure_problems(fig) for fig in figures] == [[], [], []]


def test_nnlib_widgets_static_in_a_kernel_when_the_book_asks(monkeypatch):
    monkeypatch.setattr(widgets, "_in_kernel", lambda: True)
    assert widgets.has_live_frontend() is True
    monkeypatch.setenv("NNLIB_WIDGETS", "static")   # as book/editions.py runs its kernels
    assert widgets.has_live_frontend() is False
    assert isinstance(widgets.neuron_playground(X, Y_AND), plt.Figure)
