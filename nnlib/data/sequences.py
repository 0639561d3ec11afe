"""Sequences for recurrent networks: real text and time series from ``data/``, and the tools to cut them.

- :func:`load_text` (Shakespeare's sonnets and five plays) with :class:`CharVocab` to turn
  characters into integer ids and back, and :func:`next_token_pairs` to cut a long id sequence
  into (input, next-character target) pairs for a language model.
- :func:`load_co2` (weekly Mauna Loa CO2, with real gaps) and :func:`load_sunspots` (yearly),
  with :func:`sliding_windows` to turn a series into (past window, future value) examples.
- :func:`adding_problem`: the synthetic long-memory task of Hochreiter & Schmidhuber (1997).

Every file is SHA-256 verified by :func:`nnlib.data.files.verified_path`; parsing uses NumPy only.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from nnlib.data.files import verified_path
from nnlib.random import get_generator

__all__ = [
    "load_text",
    "CharVocab",
    "next_token_pairs",
    "load_co2",
    "load_sunspots",
    "sliding_windows",
    "adding_problem",
]

TEXT_FILES = {"shakespeare": "shakespeare/shakespeare.txt"}
CO2_FILE = "co2/co2_weekly.csv"
SUNSPOTS_FILE = "sunspots/sunspots_yearly.csv"


def load_text(name: str = "shakespeare") -> str:
    """A text corpus from ``data/`` as one string.

    ``"shakespeare"``: the sonnets, Hamlet, Macbeth, Romeo and Juliet, A Midsummer Night's Dream
    and The Tempest (709 158 ASCII characters; public domain texts via Project Gutenberg and the
    ``shakespeare`` 0.6 package, CC BY 2.5; see ``data/shakespeare/README.md``).
    """
    if name not in TEXT_FILES:
        raise ValueError(f"load_text: unknown corpus {name!r}; available: {sorted(TEXT_FILES)}")
    return verified_path(TEXT_FILES[name]).read_text(encoding="ascii")


class CharVocab:
    """Characters <-> integer ids ``0 .. size-1`` (characters sorted, so the ids do not depend on order).

    ``vocab = CharVocab(text)``; ``ids = vocab.encode("to be")`` -> int64 array (5,);
    ``vocab.decode(ids)`` -> ``"to be"``.
    """

    def __init__(self, text: str):
        if not isinstance(text, str) or not text:
            raise ValueError(f"CharVocab expects a non-empty str to collect characters from, got {text!r:.40}")
        self.chars = sorted(set(text))
        self._index = {c: i for i, c in enumerate(self.chars)}
        # a lookup table over byte values makes encoding a 700 KB ASCII text one vectorized step
        self._table = None
        if all(ord(c) < 256 for c in self.chars):
            self._table = np.full(256, -1, dtype=np.int64)
            self._table[[ord(c) for c in self.chars]] = np.arange(len(self.chars))

    @property
    def size(self) -> int:
        """Number of distinct characters (the language model's number of classes)."""
        return len(self.chars)

    def __len__(self):
        return self.size

    def encode(self, text: str) -> np.ndarray:
        """str of length L -> int64 ids (L,); raises ValueError naming characters outside the vocabulary."""
        if not isinstance(text, str):
            raise TypeError(f"{self!r}.encode expects a str, got {type(text).__name__}")
        if self._table is not None and text.isascii():
            ids = self._table[np.frombuffer(text.encode("ascii"), dtype=np.uint8)]
        else:
            ids = np.array([self._index.get(c, -1) for c in text], dtype=np.int64)
        if np.any(ids < 0):
            unknown = sorted({text[i] for i in np.flatnonzero(ids < 0)[:100]})
            raise ValueError(f"{self!r}.encode got characters outside the vocabulary: {unknown}")
        return ids

    def decode(self, ids) -> str:
        """ids (any integer array, tensor or list, flattened) -> str; raises ValueError on ids out of range."""
        if hasattr(ids, "detach"):  # a torch tensor, on any device
            ids = ids.detach().cpu().numpy()
        ids = np.asarray(ids).reshape(-1)
        if ids.size and not np.issubdtype(ids.dtype, np.integer):
            raise TypeError(f"{self!r}.decode expects integer ids, got dtype {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= self.size):
            raise ValueError(f"{self!r}.decode expects ids in 0..{self.size - 1}, got values from {ids.min()} to {ids.max()}")
        return "".join(self.chars[i] for i in ids)

    def __repr__(self):
        return f"CharVocab(size={self.size})"


def next_token_pairs(ids, seq_len: int, stride=None):
    """Cut a long id sequence into language-model examples: inputs ``x`` and targets ``y = x`` shifted by one.

    ids: (L,) -> x, y: (N, seq_len) with ``y[i, t] = ids[i*stride + t + 1]``, i.e. the character that
    follows ``x[i, t]``. ``stride`` defaults to ``seq_len`` (non-overlapping chunks); the tail that
    does not fill a chunk is dropped.
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"next_token_pairs expects a 1-D integer array of ids, got shape {ids.shape} dtype {ids.dtype}")
    stride = seq_len if stride is None else stride
    if seq_len < 1 or stride < 1:
        raise ValueError(f"next_token_pairs expects seq_len >= 1 and stride >= 1, got seq_len={seq_len}, stride={stride}")
    if len(ids) < seq_len + 1:
        raise ValueError(f"next_token_pairs needs at least seq_len + 1 = {seq_len + 1} ids, got {len(ids)}")
    chunks = sliding_window_view(ids, seq_len + 1)[::stride]
    return chunks[:, :-1].copy(), chunks[:, 1:].copy()


def load_co2():
    """Weekly atmospheric CO2 at Mauna Loa, 1958-03-29 .. 2001-12-29 (public domain; Keeling & Whorf).

    Returns ``(dates, co2)``: ``dates`` datetime64[D] (2284,), one Saturday a week with no gaps;
    ``co2`` float64 (2284,) in ppmv, ``NaN`` for the 59 weeks without a measurement.
    """
    path = verified_path(CO2_FILE)
    table = np.genfromtxt(path, delimiter=",", skip_header=1, dtype=np.float64, filling_values=np.nan)
    stamps = table[:, 0].astype(np.int64)
    dates = np.array(
        [f"{s // 10000:04d}-{s // 100 % 100:02d}-{s % 100:02d}" for s in stamps], dtype="datetime64[D]"
    )
    return dates, table[:, 1]


def load_sunspots():
    """Yearly mean sunspot numbers, 1700 .. 2008 (public domain; NOAA NGDC).

    Returns ``(years, sunspots)``: int64 (309,) and float64 (309,), no missing values.
    """
    path = verified_path(SUNSPOTS_FILE)
    table = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    return table[:, 0].astype(np.int64), table[:, 1]


def sliding_windows(series, window: int, horizon: int = 1):
    """Forecasting examples from one series: each past ``window`` of values and the value ``horizon`` steps later.

    series: (T,) or (T, C) -> X: (N, window) or (N, window, C), y: (N,) or (N, C), with
    ``N = T - window - horizon + 1``, ``X[i] = series[i : i+window]``, ``y[i] = series[i+window+horizon-1]``.
    """
    series = np.asarray(series)
    if series.ndim not in (1, 2):
        raise ValueError(f"sliding_windows expects a series of shape (T,) or (T, C), got shape {series.shape}")
    if window < 1 or horizon < 1:
        raise ValueError(f"sliding_windows expects window >= 1 and horizon >= 1, got window={window}, horizon={horizon}")
    n = len(series) - window - horizon + 1
    if n < 1:
        raise ValueError(
            f"sliding_windows: a series of length {len(series)} is too short for window={window} and horizon={horizon}"
        )
    # sliding_window_view puts the window axis last; move it next to the example axis
    X = np.moveaxis(sliding_window_view(series, window, axis=0), -1, 1)[:n]
    return X.copy(), series[window + horizon - 1 :].copy()


def adding_problem(n: int, T: int, seed=None):
    """The adding problem (Hochreiter & Schmidhuber 1997): remember two marked numbers across ``T`` steps.

    x: (n, T, 2): channel 0 holds numbers drawn from U(0, 1); channel 1 marks exactly two steps with 1,
    one in the first half and one in the second half. y: (n, 1), the sum of the two marked numbers.
    Predicting the mean, 1, scores MSE = Var(U1 + U2) = 1/6 ~ 0.167: the baseline a model must beat.
    ``seed``: an int, a numpy Generator, or None for nnlib's generator (see :func:`nnlib.manual_seed`).
    """
    if n < 1 or T < 2:
        raise ValueError(f"adding_problem expects n >= 1 and T >= 2, got n={n}, T={T}")
    rng = get_generator(seed)
    values = rng.uniform(0.0, 1.0, size=(n, T))
    first = rng.integers(0, T // 2, size=n)
    second = rng.integers(T // 2, T, size=n)
    markers = np.zeros((n, T))
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1)
    y = (values[rows, first] + values[rows, second])[:, None]
    return x, y
