"""nnlib.data: checksummed files, the shipped datasets, and data preparation."""
import shutil

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import nnlib.data as data
from nnlib.data import files


# --- files and checksums -------------------------------------------------------------------------
def test_every_line_of_sha256sums_matches_its_file():
    table = files.expected_checksums()
    assert table, "data/SHA256SUMS is empty"
    for name, digest in table.items():
        assert files.sha256_of(files.data_dir() / name) == digest, name


def test_every_data_file_has_a_checksum_and_every_folder_a_readme_and_an_index_row():
    root = files.data_dir()
    table = files.expected_checksums()
    index = (root / "README.md").read_text()
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        assert (folder / "README.md").is_file(), f"data/{folder.name}/ has no README.md"
        assert f"[`{folder.name}/`]" in index, f"data/README.md has no row for {folder.name}/"
        for f in folder.iterdir():
            if f.is_file() and f.name != "README.md" and f.suffix != ".py":
                assert f"{folder.name}/{f.name}" in table, f"data/{folder.name}/{f.name} has no line in SHA256SUMS"


def test_verified_path_returns_the_file_in_data_dir():
    path = data.verified_path("digits/digits.csv.gz")
    assert path == files.data_dir() / "digits" / "digits.csv.gz" and path.is_file()


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    """A private copy of the digits file and SHA256SUMS, selected through NNLIB_DATA_DIR."""
    (tmp_path / "digits").mkdir()
    shutil.copy(files.data_dir() / "digits" / "digits.csv.gz", tmp_path / "digits")
    shutil.copy(files.data_dir() / "SHA256SUMS", tmp_path)
    monkeypatch.setenv("NNLIB_DATA_DIR", str(tmp_path))
    return tmp_path


def test_data_dir_follows_the_environment_variable(data_copy):
    assert files.data_dir() == data_copy.resolve()
    assert data.load_digits().data.shape == (1797, 64)


def test_a_changed_file_raises_checksum_mismatch_with_both_hashes(data_copy):
    target = data_copy / "digits" / "digits.csv.gz"
    expected = files.expected_checksums()["digits/digits.csv.gz"]
    target.write_bytes(target.read_bytes()[:-1])
    with pytest.raises(ValueError, match="checksum mismatch") as info:
        data.load_digits()
    assert expected in str(info.value) and files.sha256_of(target) in str(info.value)
    assert "git checkout" in str(info.value)


def test_a_missing_file_raises_file_not_found_that_says_what_to_do(data_copy):
    (data_copy / "digits" / "digits.csv.gz").unlink()
    with pytest.raises(FileNotFoundError, match="missing.*restore"):
        data.load_digits()


def test_a_file_without_a_checksum_line_is_refused(data_copy):
    (data_copy / "extra.txt").write_text("hello")
    with pytest.raises(KeyError, match="no line"):
        data.verified_path("extra.txt")


# --- datasets ------------------------------------------------------------------------------------
def test_digits_equal_scikit_learns_copy():
    from sklearn.datasets import load_digits

    ours, ref = data.load_digits(), load_digits()
    assert ours.images.shape == (1797, 8, 8) and ours.images.dtype == np.float64
    assert ours.data.shape == (1797, 64) and ours.target.dtype == np.int64
    np.testing.assert_array_equal(ours.data, ref.data)
    np.testing.assert_array_equal(ours.images, ref.images)
    np.testing.assert_array_equal(ours.target, ref.target)
    assert ours.data.min() == 0 and ours.data.max() == 16
    assert ours.target_names == [str(d) for d in range(10)] and ours.licence == "CC BY 4.0"


def test_dataset_unpacks_as_x_and_y():
    X, y = data.load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)


def test_diabetes_equals_scikit_learns_raw_data():
    from sklearn.datasets import load_diabetes

    ours, ref = data.load_diabetes(), load_diabetes(scaled=False)
    assert ours.data.shape == (442, 10) and ours.target.shape == (442,)
    # Within one unit in the last place: scikit-learn's older files (1.5) store a few s5 values as e.g.
    # 4.803999999999999 where ours, copied from a newer release, has 4.804.
    np.testing.assert_array_max_ulp(ours.data, ref.data, maxulp=1)
    np.testing.assert_array_equal(ours.target, ref.target)
    assert ours.feature_names == list(ref.feature_names) and ours.target_names is None
    assert "Efron" in ours.citation


# --- splits -------------------------------------------------------------------------------------
def test_split_partitions_the_samples_in_the_requested_proportions():
    X, y = np.arange(1000).reshape(-1, 1), np.arange(1000) % 3
    X_tr, X_va, X_te, y_tr, y_va, y_te = data.train_val_test_split(X, y, val=0.2, test=0.1, seed=1)
    assert (len(X_tr), len(X_va), len(X_te)) == (700, 200, 100)
    assert sorted(np.concatenate([X_tr, X_va, X_te])[:, 0]) == list(range(1000))
    np.testing.assert_array_equal(X_va[:, 0] % 3, y_va)  # rows stay aligned across arrays


def test_stratified_split_keeps_class_proportions():
    y = np.repeat([0, 1, 2], [600, 300, 100])
    parts = data.train_val_test_split(y, val=0.15, test=0.15, seed=0, stratify=y)
    for part in parts:
        np.testing.assert_allclose(np.bincount(part, minlength=3) / len(part), [0.6, 0.3, 0.1], atol=0.01)


def test_split_is_reproducible_under_its_seed_and_changes_with_it():
    X = np.arange(100)
    assert all(np.array_equal(a, b) for a, b in zip(data.train_val_test_split(X, seed=3), data.train_val_test_split(X, seed=3)))
    assert not np.array_equal(data.train_val_test_split(X, seed=3)[0], data.train_val_test_split(X, seed=4)[0])


def test_split_rejects_unequal_lengths_and_bad_fractions():
    with pytest.raises(ValueError, match="same length"):
        data.train_val_test_split(np.zeros(5), np.zeros(6))
    with pytest.raises(ValueError, match="val \\+ test < 1"):
        data.train_val_test_split(np.zeros(5), val=0.5, test=0.5)


def test_split_works_on_torch_tensors():
    X = torch.arange(20.0).reshape(10, 2)
    X_tr, X_va, X_te = data.train_val_test_split(X, val=0.2, test=0.2)
    assert isinstance(X_tr, torch.Tensor) and len(X_tr) + len(X_va) + len(X_te) == 10


def test_k_fold_validates_every_sample_exactly_once():
    seen = []
    for train, val in data.k_fold(23, k=5, seed=0):
        assert len(np.intersect1d(train, val)) == 0 and len(train) + len(val) == 23
        seen.extend(val)
    assert sorted(seen) == list(range(23))


def test_stratified_k_fold_keeps_class_counts_balanced():
    y = np.repeat([0, 1], [80, 20])
    for _, val in data.k_fold(100, k=5, stratify=y):
        assert np.bincount(y[val]).tolist() == [16, 4]


# --- scaling -------------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 30), d=st.integers(1, 5), seed=st.integers(0, 1000))
def test_standardized_train_features_have_mean_0_and_std_1(n, d, seed):
    X = np.random.default_rng(seed).normal(3, 5, (n, d))
    scaler = data.Standardizer().fit(X)
    Z = scaler.transform(X)
    np.testing.assert_allclose(Z.mean(0), 0, atol=1e-10)
    np.testing.assert_allclose(Z.std(0), 1, atol=1e-10)
    np.testing.assert_allclose(scaler.inverse_transform(Z), X, atol=1e-10)


def test_standardizer_uses_training_statistics_only():
    train, test = np.array([[0.0], [2.0]]), np.array([[4.0]])
    train_z, test_z = data.standardize(train, test)
    np.testing.assert_allclose(train_z[:, 0], [-1, 1])
    np.testing.assert_allclose(test_z, [[3.0]])  # (4 - 1) / 1, not its own statistics


def test_standardizer_maps_a_constant_feature_to_zero_without_nan():
    X = np.array([[1.0, 7.0], [3.0, 7.0]])
    Z = data.Standardizer().fit_transform(X)
    assert np.isfinite(Z).all() and np.all(Z[:, 1] == 0)


def test_standardizer_refuses_transform_before_fit():
    with pytest.raises(RuntimeError, match="fit"):
        data.Standardizer().transform(np.ones((2, 2)))


def test_min_max_scale_maps_train_to_the_range_and_others_with_train_bounds():
    train, test = np.array([[0.0, 5.0], [10.0, 5.0]]), np.array([[5.0, 5.0], [20.0, 6.0]])
    train_s, test_s = data.min_max_scale(train, test, feature_range=(-1, 1))
    np.testing.assert_allclose(train_s, [[-1, -1], [1, -1]])
    np.testing.assert_allclose(test_s, [[0, -1], [3, 1]])  # a constant feature: span taken as 1
    scaler = data.MinMaxScaler().fit(train)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(test)), test)


# --- one-hot -------------------------------------------------------------------------------------
def test_one_hot_matches_torch_one_hot():
    y = np.array([2, 0, 1, 2])
    np.testing.assert_array_equal(data.one_hot(y, 4), torch.nn.functional.one_hot(torch.tensor(y), 4).numpy())
    assert data.one_hot(torch.tensor(y)).shape == (4, 3)


@pytest.mark.parametrize("labels, match", [([0, 3], "0..2"), ([-1, 0], "0..2"), ([0.5, 1.0], "non-integer")])
def test_one_hot_rejects_labels_out_of_range_or_not_integer(labels, match):
    with pytest.raises(ValueError, match=match):
        data.one_hot(np.array(labels), 3)


def test_one_hot_rejects_strings():
    with pytest.raises(TypeError, match="integer class labels"):
        data.one_hot(np.array(["a", "b"]), 2)


# --- batches -------------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), batch_size=st.integers(1, 12), drop_last=st.booleans())
def test_batches_cover_each_sample_once_and_keep_rows_aligned(n, batch_size, drop_last):
    X, y = np.arange(n) * 10, np.arange(n)
    got = list(data.batches(X, y, batch_size=batch_size, seed=5, drop_last=drop_last))
    assert all(np.array_equal(xb, yb * 10) for xb, yb in got)
    assert all(len(yb) == batch_size for _, yb in got[:-1])
    seen = np.concatenate([yb for _, yb in got]) if got else np.array([], dtype=int)
    expected = n - n % batch_size if drop_last else n
    assert len(seen) == expected and len(set(seen.tolist())) == expected


def test_batches_are_seeded_and_unshuffled_on_request():
    first = [b.tolist() for b in data.batches(np.arange(10), batch_size=4, seed=1)]
    assert first == [b.tolist() for b in data.batches(np.arange(10), batch_size=4, seed=1)]
    assert first != [b.tolist() for b in data.batches(np.arange(10), batch_size=4, seed=2)]
    assert [b.tolist() for b in data.batches(np.arange(5), batch_size=2, shuffle=False)] == [[0, 1], [2, 3], [4]]


def test_batches_of_tensors_stay_tensors_on_their_device(device):
    X = torch.arange(12.0, device=device).reshape(6, 2)
    for xb in data.batches(X, batch_size=4):
        assert isinstance(xb, torch.Tensor) and xb.device == X.device


# --- missing values and outliers -----------------------------------------------------------------
def test_impute_missing_fills_with_train_mean_or_median():
    train = np.array([[1.0, np.nan], [2.0, 4.0], [6.0, 6.0]])
    test = np.array([[np.nan, np.nan]])
    train_f, test_f = data.impute_missing(train, test)
    np.testing.assert_allclose(train_f, [[1, 5], [2, 4], [6, 6]])
    np.testing.assert_allclose(test_f, [[3, 5]])
    np.testing.assert_allclose(data.impute_missing(train, test, strategy="median")[1], [[2, 5]])
    assert np.isnan(train).sum() == 1  # the input is not modified


def test_impute_missing_refuses_a_feature_missing_everywhere():
    with pytest.raises(ValueError, match="missing in every"):
        data.impute_missing(np.array([[1.0, np.nan], [2.0, np.nan]]))


def test_clip_outliers_uses_train_bounds():
    train = np.arange(101.0).reshape(-1, 1)
    clipped = data.clip_outliers(train, lower=5, upper=95)
    assert clipped.min() == 5 and clipped.max() == 95
    _, test_c = data.clip_outliers(train, np.array([[1000.0]]), method="zscore", z=2)
    np.testing.assert_allclose(test_c, [[train.mean() + 2 * train.std()]])
