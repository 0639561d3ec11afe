"""nnlib.data.sequences: the text and time-series loaders, the vocabulary, and the sequence cutters."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnlib
from nnlib.data import files
from nnlib.data.sequences import (
    CharVocab,
    adding_problem,
    load_co2,
    load_sunspots,
    load_text,
    next_token_pairs,
    sliding_windows,
)


# --- loaders -----------------------------------------------------------------------------
def test_load_text_is_the_documented_shakespeare_corpus():
    text = load_text("shakespeare")
    assert len(text) == 709_158 and text.isascii()
    assert text.startswith("THE SONNETS\nby William Shakespeare")
    assert "To be, or not to be" in text and "Gutenberg" not in text
    assert "\n\n\n\n" not in text  # runs of blank lines were collapsed


def test_load_text_rejects_an_unknown_corpus():
    with pytest.raises(ValueError, match="unknown corpus 'milton'"):
        load_text("milton")


def test_load_co2_has_weekly_dates_and_the_59_real_gaps():
    dates, co2 = load_co2()
    assert dates.dtype == np.dtype("datetime64[D]") and co2.dtype == np.float64
    assert dates.shape == co2.shape == (2284,)
    assert str(dates[0]) == "1958-03-29" and str(dates[-1]) == "2001-12-29"
    assert np.all(np.diff(dates) == np.timedelta64(7, "D"))
    assert np.isnan(co2).sum() == 59
    measured = co2[~np.isnan(co2)]
    assert 310 < measured.min() and measured.max() < 380  # ppmv over 1958-2001
    assert co2[0] == 316.1 and co2[-1] == 371.5


def test_load_sunspots_has_309_years_without_gaps():
    years, spots = load_sunspots()
    assert years.tolist() == list(range(1700, 2009))
    assert spots.shape == (309,) and np.all(np.isfinite(spots)) and spots.min() >= 0
    assert spots[0] == 5 and spots[-1] == 2.9


def test_loaders_refuse_a_file_whose_checksum_changed(tmp_path, monkeypatch):
    (tmp_path / "sunspots").mkdir()
    original = files.verified_path("sunspots/sunspots_yearly.csv").read_bytes()
    (tmp_path / "sunspots" / "sunspots_yearly.csv").write_bytes(original.replace(b"2.9", b"3.9"))
    (tmp_path / "SHA256SUMS").write_text(
        f"{files.sha256_of(files.verified_path('sunspots/sunspots_yearly.csv'))}  sunspots/sunspots_yearly.csv\n"
    )
    monkeypatch.setenv("NNLIB_DATA_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="checksum mismatch"):
        load_sunspots()


# --- vocabulary --------------------------------------------------------------------------
def test_char_vocab_decode_inverts_encode_on_the_whole_corpus():
    text = load_text()
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (len(text),)
    assert ids.min() == 0 and ids.max() == vocab.size - 1 == len(vocab) - 1
    assert vocab.decode(ids) == text


@given(st.text(min_size=1, max_size=40))
@settings(max_examples=60, deadline=None)
def test_char_vocab_round_trips_any_text_and_ids_follow_sorted_characters(text):
    vocab = CharVocab(text)
    assert vocab.decode(vocab.encode(text)) == text
    assert vocab.chars == sorted(vocab.chars)
    assert [vocab.encode(c)[0] for c in vocab.chars] == list(range(vocab.size))


def test_char_vocab_decodes_torch_tensors():
    torch = pytest.importorskip("torch")
    vocab = CharVocab("abc")
    assert vocab.decode(torch.tensor([[2, 0], [1, 1]])) == "cabb"


def test_char_vocab_errors_name_what_is_wrong():
    vocab = CharVocab("abc")
    with pytest.raises(ValueError, match=r"CharVocab\(size=3\).encode got characters outside the vocabulary: \['z'\]"):
        vocab.encode("abz")
    with pytest.raises(ValueError, match=r"ids in 0..2, got values from 0 to 3"):
        vocab.decode([0, 3])
    with pytest.raises(TypeError, match="integer ids"):
        vocab.decode([0.5])
    with pytest.raises(TypeError, match="expects a str"):
        vocab.encode([1, 2])
    with pytest.raises(ValueError, match="non-empty str"):
        CharVocab("")


# --- cutting sequences -------------------------------------------------------------------
@given(st.integers(2, 60), st.integers(1, 10), st.integers(1, 10))
@settings(max_examples=60, deadline=None)
def test_next_token_pairs_targets_are_the_inputs_shifted_by_one(length, seq_len, stride):
    ids = np.arange(length) * 7 % 11
    if length < seq_len + 1:
        with pytest.raises(ValueError, match="needs at least"):
            next_token_pairs(ids, seq_len, stride)
        return
    x, y = next_token_pairs(ids, seq_len, stride)
    assert x.shape == y.shape == ((length - seq_len - 1) // stride + 1, seq_len)
    for i in range(len(x)):
        start = i * stride
        assert np.array_equal(x[i], ids[start : start + seq_len])
        assert np.array_equal(y[i], ids[start + 1 : start + seq_len + 1])


def test_next_token_pairs_default_chunks_do_not_overlap():
    x, y = next_token_pairs(np.arange(11), 5)
    assert x.tolist() == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]
    assert y.tolist() == [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]]


def test_next_token_pairs_rejects_non_integer_or_2d_input():
    with pytest.raises(ValueError, match="1-D integer array"):
        next_token_pairs(np.zeros(10), 3)
    with pytest.raises(ValueError, match="1-D integer array"):
        next_token_pairs(np.zeros((2, 10), dtype=int), 3)


@given(st.integers(1, 40), st.integers(1, 6), st.integers(1, 4), st.sampled_from([(), (3,)]))
@settings(max_examples=60, deadline=None)
def test_sliding_windows_pair_each_past_window_with_the_value_horizon_steps_later(T, window, horizon, channels):
    series = np.arange(T * int(np.prod(channels))).reshape((T, *channels)).astype(float)
    if T - window - horizon + 1 < 1:
        with pytest.raises(ValueError, match="too short"):
            sliding_windows(series, window, horizon)
        return
    X, y = sliding_windows(series, window, horizon)
    n = T - window - horizon + 1
    assert X.shape == (n, window, *channels) and y.shape == (n, *channels)
    for i in range(n):
        assert np.array_equal(X[i], series[i : i + window])
        assert np.array_equal(y[i], series[i + window + horizon - 1])


def test_sliding_windows_returns_writable_copies():
    series = np.arange(6.0)
    X, y = sliding_windows(series, 2)
    X[0, 0] = 99.0
    y[0] = 99.0
    assert series[0] == 0.0 and series[2] == 2.0


def test_sliding_windows_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"shape \(T,\) or \(T, C\)"):
        sliding_windows(np.zeros((2, 2, 2)), 1)
    with pytest.raises(ValueError, match="window >= 1"):
        sliding_windows(np.zeros(5), 0)


# --- the adding problem ------------------------------------------------------------------
@given(st.integers(1, 20), st.integers(2, 30), st.integers(0, 10_000))
@settings(max_examples=60, deadline=None)
def test_adding_problem_target_is_the_sum_of_the_two_marked_values(n, T, seed):
    x, y = adding_problem(n, T, seed=seed)
    assert x.shape == (n, T, 2) and y.shape == (n, 1)
    values, markers = x[..., 0], x[..., 1]
    assert np.all((0 <= values) & (values < 1))
    assert np.all(markers.sum(axis=1) == 2) and set(np.unique(markers)) <= {0.0, 1.0}
    assert np.all(markers[:, : T // 2].sum(axis=1) == 1)  # one mark in each half
    np.testing.assert_allclose(y[:, 0], (values * markers).sum(axis=1))


def test_adding_problem_predicting_one_scores_the_one_sixth_baseline():
    _, y = adding_problem(20_000, 50, seed=0)
    assert abs(np.mean((y - 1.0) ** 2) - 1 / 6) < 0.005


def test_adding_problem_is_reproducible_from_a_seed_or_from_manual_seed():
    a, _ = adding_problem(4, 10, seed=3)
    b, _ = adding_problem(4, 10, seed=3)
    assert np.array_equal(a, b)
    nnlib.manual_seed(5)
    c, _ = adding_problem(4, 10)
    nnlib.manual_seed(5)
    d, _ = adding_problem(4, 10)
    assert np.array_equal(c, d) and not np.array_equal(a, c)


def test_adding_problem_rejects_too_short_sequences():
    with pytest.raises(ValueError, match="T >= 2"):
        adding_problem(3, 1)
