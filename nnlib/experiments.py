"""Experiments done properly: a record of every run, read back as a table, and the spread over seeds.

A sweep trains many models; what it learns is only as good as what it wrote down. :class:`RunLog`
appends one JSON object per run to a text file (JSON lines: one run per line, so an interrupted
sweep keeps every finished run, and the file can be read by any tool)::

    log = RunLog("runs/lr_sweep.jsonl", overwrite=True)
    log.log({"lr": 0.1, "width": 64}, {"val_acc": 0.93}, seed=0, seconds=0.4)
    table = runs_table(read_runs("runs/lr_sweep.jsonl"))   # {"lr": array([...]), "val_acc": ...}

Each record is ``{"run", "time", "seed", "seconds", "config": {...}, "metrics": {...}}`` plus any
extra keywords given to :meth:`RunLog.log` (a sweep's name, the data split). :func:`runs_table`
flattens records into columns (NumPy arrays) for plotting, e.g. with
:func:`plot_parallel_coordinates`.

The same model trained from different seeds scores differently; :func:`t_interval` and
:func:`bootstrap_interval` put a confidence interval on the mean over seeds (notebook 19, section 2).
Backend-free: NumPy and the standard library only (matplotlib for the plot).
"""
import json
import math
import numbers
import time
from pathlib import Path

import numpy as np

from nnlib._checks import to_numpy

__all__ = [
    "RunLog", "read_runs", "runs_table",
    "t_quantile", "t_interval", "bootstrap_interval",
    "plot_parallel_coordinates",
]


# --- the record --------------------------------------------------------------------------------
def _plain(value):
    """``value`` as JSON can store it: NumPy scalars and arrays become Python numbers and lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if not math.isfinite(value):
            return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
        return value
    if value is None or isinstance(value, str):
        return value
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # a 0-d torch tensor
        return _plain(value.item())
    raise TypeError(f"RunLog can store numbers, text, lists and dicts, got {type(value).__name__}: {value!r}")


class RunLog:
    """An append-only record of training runs: one JSON object per line of the file ``path``.

    overwrite: start an empty file (a sweep that is re-run from scratch); otherwise new runs are
    appended after the ones already there and numbered on from them. The folder is created.
    """

    RESERVED = ("run", "time", "seed", "seconds", "config", "metrics")

    def __init__(self, path, *, overwrite: bool = False):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if overwrite or not self.path.exists():
            self.path.write_text("")
        self._next = len(read_runs(self.path))

    def log(self, config: dict, metrics: dict, *, seed=None, seconds=None, **info) -> dict:
        """Append one run and return its record.

        config: the hyperparameters ``{name: value}``; metrics: what was measured ``{name: number}``;
        seed: the run's random seed; seconds: how long it trained; info: anything else worth keeping
        (a sweep's name, a data split), stored at the top level of the record.
        """
        if not isinstance(config, dict) or not isinstance(metrics, dict):
            raise TypeError(
                f"RunLog.log expects config and metrics as dicts, got {type(config).__name__} and {type(metrics).__name__}")
        clash = sorted(set(info) & set(self.RESERVED))
        if clash:
            raise ValueError(f"RunLog.log: {clash} are the record's own fields; pass them as config or metrics")
        record = {"run": self._next, "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "seed": seed,
                  "seconds": seconds, "config": config, "metrics": metrics, **info}
        record = _plain(record)
        # one line per run, written and flushed at once: a sweep stopped half-way keeps its finished runs
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")
        self._next += 1
        return record

    def read(self) -> list:
        """Every run in the file, as a list of records (see :func:`read_runs`)."""
        return read_runs(self.path)

    def __len__(self):
        return self._next

    def __repr__(self):
        return f"RunLog({str(self.path)!r}, runs={self._next})"


def read_runs(*paths) -> list:
    """The records of every run in the JSON-lines files ``paths`` (or in every ``*.jsonl`` of a folder).

    Blank lines are skipped; a line that is not a JSON object is an error naming the file and line.
    """
    files = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(p.glob("*.jsonl"))
        elif p.exists():
            files.append(p)
        else:
            raise FileNotFoundError(f"read_runs: no file or folder {str(p)!r}")
    runs = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"read_runs: {path}, line {number} is not JSON ({error.msg}): {line[:80]!r}") from None
            if not isinstance(record, dict):
                raise ValueError(f"read_runs: {path}, line {number} holds a {type(record).__name__}, expected a JSON object")
            runs.append(record)
    return runs


def _column(values):
    """Numbers -> a float array (int if all are whole and present, NaN where missing); else an object array."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, numbers.Real) for v in present):
        if len(present) == len(values) and all(isinstance(v, numbers.Integral) for v in present):
            return np.array(values, dtype=np.int64 if not all(isinstance(v, bool) for v in present) else bool)
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


def runs_table(runs) -> dict:
    """Records -> columns: ``{name: array with one entry per run}``.

    The entries of ``config`` and ``metrics`` become columns of their own (``table["lr"]``,
    ``table["val_acc"]``), next to ``run``, ``seed``, ``seconds`` and the extra fields. A value a
    run does not have is NaN (numbers) or None. A name used both as a hyperparameter and as a
    metric is an error.
    """
    rows = []
    for record in runs:
        row = {k: v for k, v in record.items() if k not in ("config", "metrics")}
        for part in ("config", "metrics"):
            for k, v in record.get(part, {}).items():
                if k in row:
                    raise ValueError(f"runs_table: {k!r} appears twice in run {record.get('run')} (in {part} and elsewhere)")
                row[k] = v
        rows.append(row)
    names = list(dict.fromkeys(k for row in rows for k in row))
    return {name: _column([row.get(name) for row in rows]) for name in names}


# --- the spread over seeds ---------------------------------------------------------------------
def _t_central_mass(theta, df):
    """P(|T| < t) for Student's t with integer ``df``, where tan(theta) = t / sqrt(df).

    The finite series of Abramowitz & Stegun (1964), eq. 26.7.3-4: no special functions needed.
    """
    c, s = math.cos(theta), math.sin(theta)
    if df % 2 == 1:
        series, term = 0.0, c
        for k in range(1, (df - 1) // 2 + 1):   # c + (2/3) c^3 + (2*4)/(3*5) c^5 + ... up to c^(df-2)
            series += term
            term *= (2 * k) / (2 * k + 1) * c * c
        return 2 / math.pi * (theta + s * series)
    series, term = 0.0, 1.0
    for k in range(1, df // 2 + 1):              # 1 + (1/2) c^2 + (1*3)/(2*4) c^4 + ... up to c^(df-2)
        series += term
        term *= (2 * k - 1) / (2 * k) * c * c
    return s * series


def t_quantile(confidence: float, df: int) -> float:
    """The t with P(|T| < t) = confidence for Student's t with ``df`` degrees of freedom.

    The two-sided critical value of a confidence interval: ``t_quantile(0.95, 4)`` = 2.776
    (``scipy.stats.t.ppf(0.975, 4)``). Found by bisection on the exact finite series.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"t_quantile expects 0 < confidence < 1, got {confidence}")
    if isinstance(df, bool) or not isinstance(df, numbers.Integral) or df < 1:
        raise ValueError(f"t_quantile expects an integer df >= 1, got {df!r}")
    low, high = 0.0, math.pi / 2
    for _ in range(200):   # the mass grows with theta; bisection halves the bracket each time
        mid = (low + high) / 2
        if _t_central_mass(mid, int(df)) < confidence:
            low = mid
        else:
            high = mid
        if high - low < 1e-15:
            break
    return math.sqrt(df) * math.tan((low + high) / 2)


def _sample(values, who):
    x = np.asarray(to_numpy(values), dtype=np.float64)
    if x.ndim != 1 or len(x) < 2:
        raise ValueError(f"{who} expects a 1-D sample of at least 2 values, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{who} got NaN or inf in its sample")
    return x


def t_interval(values, confidence: float = 0.95) -> tuple:
    """``(mean, low, high)``: the Student-t confidence interval for the mean of ``values`` (N,).

    mean +- t_{N-1} * s / sqrt(N), with s the sample standard deviation (ddof=1) and t_{N-1} from
    :func:`t_quantile`. Assumes independent draws (one per seed) from a roughly normal spread.
    """
    x = _sample(values, "t_interval")
    n = len(x)
    half = t_quantile(confidence, n - 1) * x.std(ddof=1) / math.sqrt(n)
    return float(x.mean()), float(x.mean() - half), float(x.mean() + half)


def bootstrap_interval(values, confidence: float = 0.95, n_resamples: int = 10_000, seed=0) -> tuple:
    """``(mean, low, high)``: the percentile bootstrap interval for the mean of ``values`` (N,).

    Resample N values with replacement ``n_resamples`` times; the interval holds the central
    ``confidence`` share of the resampled means (Efron 1979). No normality assumed, but with few
    values it comes out narrower than the t-interval.
    """
    x = _sample(values, "bootstrap_interval")
    if not 0 < confidence < 1:
        raise ValueError(f"bootstrap_interval expects 0 < confidence < 1, got {confidence}")
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), size=(n_resamples, len(x)))].mean(axis=1)
    low, high = np.quantile(means, [(1 - confidence) / 2, (1 + confidence) / 2])
    return float(x.mean()), float(low), float(high)


# --- the picture -------------------------------------------------------------------------------
def plot_parallel_coordinates(table, columns, color, *, log=(), ax=None, cmap="viridis", title=None):
    """One line per run across vertical axes, one per column, coloured by the column ``color``.

    table: as :func:`runs_table` returns; columns: the names of the axes, left to right; log: the
    columns drawn on a log scale (learning rates, weight decays). Each axis spans its column's
    own range, with its smallest and largest value written at its ends. Returns the axes.
    """
    import matplotlib.pyplot as plt

    missing = [c for c in list(columns) + [color] if c not in table]
    if missing:
        raise KeyError(f"plot_parallel_coordinates: no column {missing} in the table; it has {sorted(table)}")
    if ax is None:
        _, ax = plt.subplots(figsize=(1.8 * len(columns) + 2, 3.8))
    scaled = []
    for c in columns:
        v = np.asarray(table[c], dtype=np.float64)
        v = np.log10(v) if c in log else v
        span = np.ptp(v)
        scaled.append((v - v.min()) / span if span > 0 else np.full_like(v, 0.5))
    scaled = np.stack(scaled, axis=1)   # (runs, columns), each column in [0, 1]
    z = np.asarray(table[color], dtype=np.float64)
    norm = plt.Normalize(np.nanmin(z), np.nanmax(z))
    colormap = plt.get_cmap(cmap)
    for i in np.argsort(z):             # the best runs drawn last, on top
        ax.plot(range(len(columns)), scaled[i], color=colormap(norm(z[i])), alpha=0.7, lw=1.2)
    for j, c in enumerate(columns):
        ax.axvline(j, color="black", lw=0.8)
        v = np.asarray(table[c], dtype=np.float64)
        ax.text(j, -0.04, f"{np.min(v):.3g}", ha="center", va="top", fontsize=8)
        ax.text(j, 1.04, f"{np.max(v):.3g}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(columns)), [f"{c} (log)" if c in log else c for c in columns])
    ax.set_yticks([])
    ax.set_ylim(-0.15, 1.15)
    ax.set_xlabel("hyperparameter (each axis from its smallest to its largest value)")
    ax.set_ylabel("position on each axis")
    ax.set_title(title or f"Every run, coloured by {color}")
    ax.figure.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=colormap), ax=ax, label=color)
    return ax
