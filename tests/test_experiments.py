"""nnlib.experiments: the run record survives a round trip through its file, and the intervals are
the textbook ones (scipy's t quantiles, the t-interval's coverage)."""
import json

import numpy as np
import pytest

from nnlib.experiments import (
    RunLog,
    bootstrap_interval,
    plot_parallel_coordinates,
    read_runs,
    runs_table,
    t_interval,
    t_quantile,
)


def test_runs_read_back_equal_what_was_logged(tmp_path):
    log = RunLog(tmp_path / "sweep" / "a.jsonl")
    written = [log.log({"lr": 10.0 ** -k, "width": 16 * k}, {"val_acc": 0.5 + k / 10}, seed=k, seconds=0.1 * k,
                       sweep="lr") for k in range(1, 4)]
    assert read_runs(tmp_path / "sweep" / "a.jsonl") == written == log.read()
    assert [r["run"] for r in written] == [0, 1, 2] and len(log) == 3
    assert written[1]["config"] == {"lr": 0.01, "width": 32} and written[1]["sweep"] == "lr"


def test_each_run_is_one_json_line(tmp_path):
    log = RunLog(tmp_path / "a.jsonl")
    log.log({"lr": 0.1}, {"loss": 1.0}, seed=0)
    log.log({"lr": 0.2}, {"loss": 0.5}, seed=1)
    lines = (tmp_path / "a.jsonl").read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[1])["config"] == {"lr": 0.2}


def test_a_reopened_log_appends_and_numbers_on_unless_overwritten(tmp_path):
    path = tmp_path / "a.jsonl"
    RunLog(path).log({"lr": 0.1}, {"acc": 0.9})
    again = RunLog(path)
    assert again.log({"lr": 0.2}, {"acc": 0.8})["run"] == 1 and len(read_runs(path)) == 2
    fresh = RunLog(path, overwrite=True)
    assert len(fresh) == 0 and read_runs(path) == []


def test_numpy_values_are_stored_as_plain_numbers(tmp_path):
    log = RunLog(tmp_path / "a.jsonl")
    record = log.log({"width": np.int64(64), "lr": np.float32(0.5)}, {"acc": np.float64(0.25), "curve": np.arange(3)},
                     seed=np.int64(3), seconds=np.float64(1.5))
    back = read_runs(tmp_path / "a.jsonl")[0]
    assert back == record and back["config"] == {"width": 64, "lr": 0.5} and back["metrics"]["curve"] == [0, 1, 2]
    assert type(back["config"]["width"]) is int and type(back["seed"]) is int


def test_a_log_refuses_what_json_cannot_hold_and_clashing_fields(tmp_path):
    log = RunLog(tmp_path / "a.jsonl")
    with pytest.raises(TypeError, match="RunLog"):
        log.log({"model": object()}, {"acc": 1.0})
    with pytest.raises(TypeError, match="dicts"):
        log.log([0.1], {"acc": 1.0})
    with pytest.raises(ValueError, match="record's own fields"):
        log.log({"lr": 0.1}, {"acc": 1.0}, run=5)
    assert read_runs(tmp_path / "a.jsonl") == []


def test_read_runs_reads_a_folder_and_names_a_broken_line(tmp_path):
    RunLog(tmp_path / "a.jsonl").log({"lr": 0.1}, {"acc": 0.9})
    RunLog(tmp_path / "b.jsonl").log({"lr": 0.2}, {"acc": 0.8})
    assert [r["config"]["lr"] for r in read_runs(tmp_path)] == [0.1, 0.2]
    (tmp_path / "c.jsonl").write_text('{"run": 0}\n\nnot json\n')
    with pytest.raises(ValueError, match="c.jsonl, line 3"):
        read_runs(tmp_path)
    with pytest.raises(FileNotFoundError, match="no file or folder"):
        read_runs(tmp_path / "missing.jsonl")


def test_runs_table_has_one_column_per_field_and_nan_where_a_run_lacks_it(tmp_path):
    log = RunLog(tmp_path / "a.jsonl")
    log.log({"lr": 0.1, "width": 8}, {"acc": 0.9}, seed=0, sweep="grid")
    log.log({"lr": 0.2}, {"acc": 0.8}, seed=1, sweep="random")
    table = runs_table(log.read())
    assert np.array_equal(table["lr"], [0.1, 0.2]) and table["seed"].dtype == np.int64
    assert table["width"][0] == 8 and np.isnan(table["width"][1])
    assert list(table["sweep"]) == ["grid", "random"]
    assert all(len(column) == 2 for column in table.values())


def test_runs_table_refuses_a_name_that_is_both_hyperparameter_and_metric():
    with pytest.raises(ValueError, match="appears twice"):
        runs_table([{"run": 0, "config": {"acc": 1}, "metrics": {"acc": 0.5}}])


@pytest.mark.parametrize("df", [1, 2, 3, 4, 5, 9, 10, 29, 30, 200])
@pytest.mark.parametrize("confidence", [0.5, 0.9, 0.95, 0.99])
def test_t_quantile_equals_scipys(df, confidence):
    stats = pytest.importorskip("scipy.stats")
    assert t_quantile(confidence, df) == pytest.approx(stats.t.ppf((1 + confidence) / 2, df), rel=1e-9)


def test_t_quantile_tends_to_the_normal_quantile():
    assert t_quantile(0.95, 100_000) == pytest.approx(1.959964, abs=1e-4)
    assert t_quantile(0.95, 2) > t_quantile(0.95, 5) > t_quantile(0.95, 50) > 1.96


def test_t_quantile_refuses_bad_arguments():
    with pytest.raises(ValueError, match="confidence"):
        t_quantile(1.0, 5)
    with pytest.raises(ValueError, match="integer df"):
        t_quantile(0.95, 2.5)
    with pytest.raises(ValueError, match="integer df"):
        t_quantile(0.95, 0)


def test_t_interval_is_the_textbook_formula():
    x = np.array([0.91, 0.93, 0.92, 0.95, 0.90])
    mean, low, high = t_interval(x)
    half = 2.7764451051977987 * x.std(ddof=1) / np.sqrt(5)   # t_{0.975, 4}
    assert mean == pytest.approx(x.mean()) and (low, high) == pytest.approx((x.mean() - half, x.mean() + half))


def test_t_interval_covers_the_true_mean_95_percent_of_the_time():
    rng = np.random.default_rng(0)
    covered = [low <= 1.0 <= high for low, high in (t_interval(rng.normal(1.0, 2.0, 6))[1:] for _ in range(4000))]
    assert np.mean(covered) == pytest.approx(0.95, abs=0.01)


def test_bootstrap_interval_holds_the_mean_and_shrinks_with_more_data():
    rng = np.random.default_rng(1)
    small, large = rng.normal(0, 1, 20), rng.normal(0, 1, 2000)
    mean, low, high = bootstrap_interval(small)
    assert low < mean < high and mean == pytest.approx(small.mean())
    _, low2, high2 = bootstrap_interval(large)
    assert high2 - low2 < (high - low) / 5
    assert bootstrap_interval(small, seed=3) == bootstrap_interval(small, seed=3)


def test_intervals_refuse_too_few_or_non_finite_values():
    with pytest.raises(ValueError, match="at least 2"):
        t_interval([1.0])
    with pytest.raises(ValueError, match="NaN"):
        bootstrap_interval([1.0, np.nan])


def test_parallel_coordinates_draws_one_line_per_run(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    log = RunLog(tmp_path / "a.jsonl")
    for k in range(5):
        log.log({"lr": 10.0 ** -k, "width": 8 * (k + 1)}, {"acc": k / 5})
    ax = plot_parallel_coordinates(runs_table(log.read()), ["lr", "width"], "acc", log=("lr",))
    assert len(ax.lines) == 5 + 2   # five runs and two vertical axes
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    with pytest.raises(KeyError, match="no column"):
        plot_parallel_coordinates(runs_table(log.read()), ["lr", "depth"], "acc")
    plt.close("all")
