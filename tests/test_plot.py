"""nnlib.plot draws under the Agg backend and returns what it drew on."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from nnlib import plot  # noqa: E402
from nnlib.metrics import confusion_matrix  # noqa: E402
from nnlib.train import History  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_plot_history_draws_a_loss_panel_and_one_per_metric():
    h = History(train_loss=[1.0, 0.5, 0.4], val_loss=[1.1, 0.6, 0.7], lr=[0.1] * 3, best_epoch=1)
    h.metrics = {"train_accuracy": [0.5, 0.8, 0.9], "val_accuracy": [0.4, 0.7, 0.7]}
    fig = plot.plot_history(h)
    assert len(fig.axes) == 2
    assert fig.axes[0].get_ylabel() == "loss" and fig.axes[1].get_ylabel() == "accuracy"
    assert [line.get_label() for line in fig.axes[0].lines] == ["train", "val", "best epoch"]
    np.testing.assert_array_equal(fig.axes[0].lines[1].get_ydata(), h.val_loss)


def test_plot_history_without_validation_or_metrics():
    fig = plot.plot_history(History(train_loss=[1.0, 0.5]))
    assert len(fig.axes) == 1 and len(fig.axes[0].lines) == 1


@pytest.mark.parametrize("kind", ["labels", "scores", "probability"])
def test_plot_decision_boundary_accepts_labels_scores_or_one_probability(kind):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    predict = {
        "labels": lambda P: (P.sum(1) > 0).astype(int),
        "scores": lambda P: np.column_stack([-P.sum(1), P.sum(1)]),
        "probability": lambda P: 1 / (1 + np.exp(-P.sum(1))),
    }[kind]
    ax = plot.plot_decision_boundary(predict, X, y, resolution=30)
    assert len(ax.collections) >= 2  # the filled regions and the points


def test_plot_decision_boundary_draws_into_a_given_axes_and_rejects_3d_points():
    fig, ax = plt.subplots()
    X = torch.randn(10, 2)
    assert plot.plot_decision_boundary(lambda P: P[:, 0] > 0, X, torch.zeros(10), ax=ax, resolution=10) is ax
    with pytest.raises(ValueError, match="\\(N, 2\\)"):
        plot.plot_decision_boundary(lambda P: P[:, 0], np.zeros((5, 3)), np.zeros(5))


def test_show_images_lays_out_a_grid_and_marks_wrong_predictions_red():
    images = np.random.default_rng(0).random((12, 8, 8))
    labels = np.arange(12) % 10
    predictions = labels.copy()
    predictions[3] = 9
    fig = plot.show_images(images, labels, ncols=5, predictions=predictions)
    assert len(fig.axes) == 15  # 3 rows of 5
    titles = [ax.title for ax in fig.axes[:12]]
    assert titles[3].get_text() == "3/9" and titles[3].get_color() == "red"
    assert titles[0].get_color() == "black"


@pytest.mark.parametrize("shape", [(4, 1, 6, 6), (4, 3, 6, 6)])
def test_show_images_accepts_channels_first(shape):
    fig = plot.show_images(torch.randn(shape), class_names=list("abcd"), labels=[0, 1, 2, 3])
    assert fig.axes[1].title.get_text() == "b"


def test_plot_confusion_matrix_writes_each_count():
    cm = confusion_matrix([0, 1, 2, 2], [0, 2, 2, 2])
    ax = plot.plot_confusion_matrix(cm, class_names=["a", "b", "c"])
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["1", "0", "0", "0", "0", "1", "0", "0", "2"]
    ax = plot.plot_confusion_matrix(cm, normalize=True)
    assert ax.texts[5].get_text() == "1.00"
    with pytest.raises(ValueError, match="2 class names"):
        plot.plot_confusion_matrix(cm, class_names=["a", "b"])


def test_plot_graph_draws_a_box_per_node_an_arrow_per_edge_and_the_notes():
    nodes = {"x": (0, 0, "x = 1"), "y": (2, 0, "y = 2"), "L": (4, 0, "L = 4")}
    ax = plot.plot_graph(nodes, [("x", "y", "times 2"), ("y", "L")], notes={"x": "dL/dx = 8", "L": ("1", "above")})
    texts = [t.get_text() for t in ax.texts]
    assert {"x = 1", "y = 2", "L = 4", "times 2", "dL/dx = 8", "1"} <= set(texts)
    assert sum(1 for child in ax.get_children() if type(child).__name__ == "Annotation") == 2
    with pytest.raises(ValueError, match="'z'"):
        plot.plot_graph(nodes, [("x", "z")])
    with pytest.raises(ValueError, match="'left'"):
        plot.plot_graph(nodes, [], notes={"x": ("a note", "left")})


@pytest.mark.parametrize("outputs,expected", [("all", 5), ("last", 1)])
def test_draw_unrolled_rnn_draws_one_cell_per_step_and_the_outputs_asked_for(outputs, expected):
    ax = plot.draw_unrolled_rnn(steps=5, outputs=outputs)
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("cell") == 5
    assert sum(t.startswith("$\\hat y") for t in texts) == expected
    assert ax.get_title().startswith("an RNN unrolled over 5 steps")


def test_draw_unrolled_rnn_marks_truncation_and_rejects_bad_arguments():
    ax = plot.draw_unrolled_rnn(steps=8, chunk=4, gradients=True)
    assert len(ax.lines) == 1  # one chunk boundary, between steps 4 and 5
    assert "truncated" in ax.get_title()
    with pytest.raises(ValueError, match="outputs"):
        plot.draw_unrolled_rnn(outputs="first")
    with pytest.raises(ValueError, match="steps"):
        plot.draw_unrolled_rnn(steps=0)


def test_show_matrix_writes_each_value_white_on_dark_cells_and_black_on_light_ones():
    values = np.array([[-3.0, 0.0, 3.0], [-3.0, 0.5, 3.0]])
    ax = plot.show_matrix(values, vmin=-3, vmax=3)
    texts = {(round(t.get_position()[1]), round(t.get_position()[0])): t for t in ax.texts}
    assert len(texts) == values.size and texts[(0, 1)].get_text() == "0" and texts[(1, 1)].get_text() == "0.5"
    assert texts[(0, 0)].get_color() == texts[(0, 2)].get_color() == "white"     # the dark blue and red ends
    assert texts[(0, 1)].get_color() == texts[(1, 1)].get_color() == "black"     # the pale middle
    with pytest.raises(ValueError, match="2-D"):
        plot.show_matrix(np.zeros(3))


def test_show_matrix_default_range_is_symmetric_around_zero():
    ax = plot.show_matrix(np.array([[0.0, 2.0]]), fmt="{:.1f}")
    assert ax.images[0].get_clim() == (-2.0, 2.0)
    assert [t.get_text() for t in ax.texts] == ["0.0", "2.0"]


# --- style, text alternatives and the figure check -------------------------------------------------
def test_importing_nnlib_plot_sets_the_colour_blind_safe_cycle():
    plt.rcdefaults()
    plot.use_style()
    colors = [c["color"] for c in matplotlib.rcParams["axes.prop_cycle"]]
    assert colors == list(plot.COLORBLIND_COLORS) and len(set(colors)) == len(colors)
    _, ax = plt.subplots()
    assert ax.plot([0, 1])[0].get_color() == plot.COLORBLIND_COLORS[0]


def _labelled_figure():
    fig, (left, right) = plt.subplots(1, 2, sharey=True)
    left.plot([0, 1], label="train")
    left.plot([1, 0], label="val")
    left.legend()
    left.set(title="Loss", xlabel="epoch", ylabel="$\\mathcal{L}$")
    image = right.imshow(np.eye(3))
    right.set(title="Weights", xlabel="input $x_j$")
    fig.colorbar(image, ax=right, label="weight")
    return fig


def test_describe_figure_reads_titles_labels_legend_and_colour_scale():
    text = plot.describe_figure(_labelled_figure())
    assert text.startswith("Panel 1 of 2: Loss; x axis: epoch; y axis: mathcalL; legend: train, val.")
    assert "Panel 2 of 2: Weights; x axis: input x_j; y axis: mathcalL." in text   # shared y label
    assert text.endswith("Colour scale: weight.")


def test_describe_figure_sums_up_an_image_grid():
    fig = plot.show_images(np.zeros((15, 4, 4)), labels=np.arange(15))
    fig.suptitle("Digits")
    assert plot.describe_figure(fig) == (
        "Digits. 15 images titled 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and more.")


def test_figure_problems_accepts_a_labelled_figure_and_an_image_grid():
    assert plot.figure_problems(_labelled_figure()) == []
    grid = plot.show_images(np.zeros((3, 4, 4)))
    assert plot.figure_problems(grid) == ["no title (no suptitle, and none of its 3 panels has one)"]
    grid.suptitle("three images")
    assert plot.figure_problems(grid) == []


def test_figure_problems_names_what_is_missing():
    _, ax = plt.subplots()
    ax.plot([0, 1])
    assert plot.figure_problems(ax.figure) == ["no title", "no x-axis label", "no y-axis label"]
    fig, axes = plt.subplots(1, 2)
    axes[0].set(title="a", xlabel="x", ylabel="y")
    axes[1].set(xlabel="x", ylabel="y")
    assert plot.figure_problems(fig) == ["no suptitle, and panel(s) [2] have no title"]
    axes[1].set_yticks([])   # an axis drawn without ticks needs no label
    axes[1].set_ylabel("")
    fig.suptitle("both")
    assert plot.figure_problems(fig) == []


class _Shell:
    """The two parts of an IPython shell that install_figure_alt_text uses."""

    def __init__(self):
        from IPython.core.events import EventManager, available_events
        from IPython.core.formatters import DisplayFormatter

        self.display_formatter = DisplayFormatter()
        self.events = EventManager(self, available_events)


def test_install_figure_alt_text_puts_alt_and_problems_in_the_png_metadata():
    from matplotlib.figure import Figure

    shell = _Shell()
    png = shell.display_formatter.formatters["image/png"]
    png.for_type(Figure, lambda fig: b"\x89PNG fake")   # as the inline backend registers it
    assert plot.install_figure_alt_text(shell) is True
    _, ax = plt.subplots()
    ax.set(title="A line", xlabel="x")
    data, metadata = shell.display_formatter.format(ax.figure)
    assert data["image/png"] == b"\x89PNG fake"
    assert metadata["image/png"] == {"alt": "A line; x axis: x.", "nnlib_figure_problems": ["no y-axis label"]}
    # `%matplotlib inline` registers the plain printer again: the next cell wraps it again, once.
    png.for_type(Figure, lambda fig: b"\x89PNG again")
    shell.events.trigger("pre_run_cell", None)
    shell.events.trigger("pre_run_cell", None)
    data, metadata = shell.display_formatter.format(ax.figure)
    assert data["image/png"] == b"\x89PNG again" and metadata["image/png"]["alt"] == "A line; x axis: x."


def test_install_figure_alt_text_outside_ipython_does_nothing():
    assert plot.install_figure_alt_text() is False


def test_the_library_figures_have_titles_and_labelled_axes():
    h = History(train_loss=[1.0, 0.5], val_loss=[1.1, 0.6], lr=[0.1] * 2, best_epoch=1)
    h.metrics = {"train_accuracy": [0.5, 0.8], "val_accuracy": [0.4, 0.7]}
    figures = {
        "plot_history": plot.plot_history(h),
        "show_images": plot.show_images(np.zeros((4, 3, 3)), labels=[0, 1, 2, 3], title="four digits"),
        "plot_confusion_matrix": plot.plot_confusion_matrix(np.eye(3, dtype=int)).figure,
    }
    assert {name: plot.figure_problems(fig) for name, fig in figures.items()} == {name: [] for name in figures}
    assert plot.plot_confusion_matrix(np.eye(2), normalize=True).get_title().startswith("confusion matrix, each row")


def test_describe_figure_reads_the_boxes_of_a_graph():
    ax = plot.plot_graph({"x": (0, 0, "x"), "z": (1, 0, "$z = Wx$")}, [("x", "z")])
    ax.set_title("forward pass")
    assert plot.describe_figure(ax.figure) == "forward pass; labels: x, z = Wx."
    assert plot.figure_problems(ax.figure) == []


def test_a_twin_axis_and_a_sub_figure_share_the_title_over_them():
    fig, ax = plt.subplots()
    ax.set(title="loss and accuracy", xlabel="epoch", ylabel="loss")
    twin = ax.twinx()
    twin.set_ylabel("accuracy")
    assert plot.figure_problems(fig) == []
    twin.set_ylabel("")
    assert plot.figure_problems(fig) == ["panel 2: no y-axis label"]
    fig = plt.figure()
    left, right = fig.subfigures(1, 2)
    left.subplots().set(title="curve", xlabel="x", ylabel="y")
    for ax in right.subplots(1, 2):
        ax.imshow(np.eye(2))
        ax.set_axis_off()
    assert plot.figure_problems(fig) == ["no suptitle, and panel(s) [2, 3] have no title"]
    right.suptitle("two images")
    assert plot.figure_problems(fig) == []
    assert plot.describe_figure(fig) == "two images. 2 images. curve; x axis: x; y axis: y."


def test_a_row_of_panels_may_label_its_y_axis_once_and_a_column_its_x_axis_once():
    fig, axes = plt.subplots(2, 3)
    for ax in axes.ravel():
        ax.imshow(np.eye(3))
        ax.set_title("a map")
    axes[0, 0].set_ylabel("row")
    axes[1, 0].set_ylabel("row")
    for ax in axes[1]:
        ax.set_xlabel("column")
    assert plot.figure_problems(fig) == []
    axes[1, 0].set_ylabel("")
    assert plot.figure_problems(fig) == ["panel 4: no y-axis label", "panel 5: no y-axis label",
                                         "panel 6: no y-axis label"]
