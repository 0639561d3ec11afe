"""Laws of the image data and augmentations in nnlib.data.images."""
import shutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib.data import (
    FASHION_MNIST_CLASSES,
    add_noise,
    augment,
    data_dir,
    expected_checksums,
    horizontal_flip,
    load_fashion_mnist,
    random_crop,
    random_rotation,
    random_shift,
    sha256_of,
)

FASHION_SHA256 = "f16fb7f275ed81a9620409f819b172066d71da78dde313fde8b2f19af215d4d5"

AUGMENTATIONS = {
    "random_rotation": lambda x, rng: random_rotation(x, 20, rng=rng),
    "random_shift": lambda x, rng: random_shift(x, 2, rng=rng),
    "random_crop": lambda x, rng: random_crop(x, x.shape[-2:], padding=3, rng=rng),
    "add_noise": lambda x, rng: add_noise(x, 0.5, rng=rng),
    "horizontal_flip": lambda x, rng: horizontal_flip(x, p=0.5, rng=rng),
    "augment": lambda x, rng: augment(x, rng, rotation=10, shift=2, noise=0.1, flip=0.5),
}


def images(rng, shape):
    return rng.random(shape)


# --- the Fashion-MNIST subset ----------------------------------------------------------------
def test_fashion_mnist_file_matches_its_published_checksum():
    assert expected_checksums()["fashion_mnist/fashion_mnist_subset.npz"] == FASHION_SHA256
    assert sha256_of(data_dir() / "fashion_mnist" / "fashion_mnist_subset.npz") == FASHION_SHA256


def test_fashion_mnist_splits_are_stratified_uint8_images():
    train, test = load_fashion_mnist("train"), load_fashion_mnist("test")
    for ds, per_class in ((train, 500), (test, 200)):
        assert ds.images.shape == (10 * per_class, 28, 28) and ds.images.dtype == np.float64
        assert ds.data.shape == (10 * per_class, 784)
        np.testing.assert_array_equal(ds.data, ds.images.reshape(-1, 784))
        np.testing.assert_array_equal(np.bincount(ds.target), [per_class] * 10)
        assert ds.images.min() == 0 and ds.images.max() == 255
        np.testing.assert_array_equal(ds.images, np.round(ds.images))  # whole pixel values
        assert ds.target_names == FASHION_MNIST_CLASSES and "MIT" in ds.licence and "Xiao" in ds.citation
    X, y = train  # unpacks like load_digits
    assert X.shape == (5000, 784) and y.dtype == np.int64


def test_fashion_mnist_loader_refuses_a_damaged_file(tmp_path, monkeypatch):
    shutil.copytree(data_dir() / "fashion_mnist", tmp_path / "fashion_mnist")
    shutil.copy(data_dir() / "SHA256SUMS", tmp_path / "SHA256SUMS")
    path = tmp_path / "fashion_mnist" / "fashion_mnist_subset.npz"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    monkeypatch.setenv("NNLIB_DATA_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="checksum mismatch"):
        load_fashion_mnist()


def test_fashion_mnist_loader_rejects_an_unknown_split():
    with pytest.raises(ValueError, match="'train' or 'test'"):
        load_fashion_mnist("validation")


# --- augmentation: general laws --------------------------------------------------------------
@pytest.mark.parametrize("name", AUGMENTATIONS)
@pytest.mark.parametrize("shape", [(5, 12, 10), (5, 3, 12, 10)])
def test_augmentation_preserves_shape_and_is_reproducible_from_its_seed(name, shape, rng):
    fn, x = AUGMENTATIONS[name], images(rng, shape)
    before = x.copy()
    a, b, c = fn(x, 7), fn(x, np.random.default_rng(7)), fn(x, 8)
    assert a.shape == x.shape and a.dtype == x.dtype
    np.testing.assert_array_equal(a, b)  # an int seed and a Generator seeded alike agree
    assert not np.array_equal(a, c), "another seed should give another batch"
    np.testing.assert_array_equal(x, before)  # the input is never modified


@pytest.mark.parametrize("name", AUGMENTATIONS)
def test_augmentation_draws_from_nnlib_generator_when_no_rng_is_given(name, rng):
    import nnlib

    x = images(rng, (6, 9, 9))
    nnlib.manual_seed(3)
    a = AUGMENTATIONS[name](x, None)
    nnlib.manual_seed(3)
    np.testing.assert_array_equal(a, AUGMENTATIONS[name](x, None))


def test_integer_images_come_back_as_float64():
    x = np.arange(2 * 4 * 4, dtype=np.uint8).reshape(2, 4, 4)
    out = random_rotation(x, degrees=0)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, x)


@pytest.mark.parametrize("fn", [random_rotation, random_shift, add_noise, horizontal_flip, augment])
def test_augmentation_rejects_a_single_image_or_a_list(fn):
    with pytest.raises(ValueError, match=rf"{fn.__name__} expects a batch of images of shape \(N, C, H, W\)"):
        fn(np.zeros((8, 8)))
    with pytest.raises(TypeError, match="NumPy array"):
        fn([[[0.0]]])


# --- rotation -------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 3), c=st.integers(1, 3), h=st.integers(1, 9), w=st.integers(1, 9), seed=st.integers(0, 99))
def test_rotation_by_zero_degrees_is_the_identity(n, c, h, w, seed):
    x = np.random.default_rng(seed).normal(size=(n, c, h, w))
    np.testing.assert_array_equal(random_rotation(x, degrees=0.0), x)
    np.testing.assert_array_equal(random_rotation(x, max_degrees=0.0, rng=seed), x)


def test_rotation_by_90_degrees_turns_counter_clockwise_like_rot90(rng):
    x = images(rng, (3, 2, 7, 7))
    np.testing.assert_allclose(random_rotation(x, degrees=90), np.rot90(x, axes=(-2, -1)), atol=1e-12)
    np.testing.assert_allclose(random_rotation(x, degrees=-90), np.rot90(x, k=-1, axes=(-2, -1)), atol=1e-12)


def test_rotation_angles_stay_within_max_degrees():
    # a bright horizontal bar through the centre; its tilt after rotation is the drawn angle
    x = np.zeros((200, 41, 41))
    x[:, 20, 5:36] = 1.0
    out = random_rotation(x, max_degrees=10, rng=0)
    rows, cols = np.mgrid[0:41, 0:41] - 20.0
    mass = out.sum(axis=(1, 2))
    cov_xy = (out * rows * cols).sum(axis=(1, 2)) / mass
    var_x = (out * cols**2).sum(axis=(1, 2)) / mass
    # rows grow downwards, so a counter-clockwise tilt has a negative row-column covariance
    angles = np.degrees(np.arctan(-cov_xy / var_x))
    assert np.all(np.abs(angles) <= 10.5) and angles.max() > 8 and angles.min() < -8
    np.testing.assert_allclose(mass, 31.0, rtol=0.02)  # bilinear resampling keeps the bar's mass


# --- flips ----------------------------------------------------------------------------------
def test_flipping_twice_is_the_identity_and_once_mirrors_left_to_right(rng):
    x = images(rng, (4, 2, 5, 6))
    once = horizontal_flip(x)
    np.testing.assert_array_equal(once, x[..., ::-1])
    np.testing.assert_array_equal(horizontal_flip(once), x)


def test_random_flip_mirrors_about_a_fraction_p_of_the_images(rng):
    x = images(rng, (2000, 3, 4))
    out = horizontal_flip(x, p=0.3, rng=0)
    flipped = np.all(out == x[..., ::-1], axis=(1, 2))
    kept = np.all(out == x, axis=(1, 2))
    assert np.all(flipped | kept)
    assert abs(flipped.mean() - 0.3) < 0.04
    with pytest.raises(ValueError, match="0 <= p <= 1"):
        horizontal_flip(x, p=1.5)


# --- shifts and crops ------------------------------------------------------------------------
def test_shift_moves_a_single_bright_pixel_by_whole_pixels_within_range():
    x = np.zeros((500, 11, 11))
    x[:, 5, 5] = 1.0
    out = random_shift(x, max_shift=2, rng=0)
    assert np.all(out.sum(axis=(1, 2)) == 1.0)  # mass moves, none is created or lost
    moved = np.argwhere(out == 1.0)[:, 1:] - 5  # (dy, dx) of each image
    assert set(moved[:, 0].tolist()) == set(range(-2, 3)) and set(moved[:, 1].tolist()) == set(range(-2, 3))


def test_shift_pushes_content_off_the_border_and_fills_the_gap():
    x = np.ones((300, 1, 6, 6))
    out = random_shift(x, max_shift=1, rng=0, fill=-1.0)
    assert set(np.unique(out)) <= {-1.0, 1.0}
    lost = (out == -1.0).sum(axis=(1, 2, 3))
    assert set(lost.tolist()) == {0, 6, 11}  # no shift, a shift along one axis, along both


def test_crop_without_padding_is_a_window_of_the_original(rng):
    x = images(rng, (50, 2, 9, 8))
    out = random_crop(x, (5, 4), rng=0)
    assert out.shape == (50, 2, 5, 4)
    for img, crop in zip(x, out):
        windows = np.lib.stride_tricks.sliding_window_view(img, (5, 4), axis=(1, 2))  # (2, 5, 5, 5, 4)
        assert any(np.array_equal(windows[:, i, j], crop) for i in range(5) for j in range(5))


def test_crop_of_full_size_with_padding_is_a_shift(rng):
    x = np.zeros((400, 7, 7))
    x[:, 3, 3] = 1.0
    out = random_crop(x, 7, padding=2, rng=0)
    assert np.all(out.sum(axis=(1, 2)) == 1.0)
    moved = np.argwhere(out == 1.0)[:, 1:] - 3
    assert moved.min() == -2 and moved.max() == 2
    with pytest.raises(ValueError, match="does not fit"):
        random_crop(x, 12, padding=2)


# --- noise and the composition ---------------------------------------------------------------
def test_noise_has_zero_mean_the_requested_spread_and_respects_clip():
    x = np.full((100, 1, 20, 20), 0.5)
    noise = add_noise(x, std=0.2, rng=0) - x
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.2) < 0.01
    clipped = add_noise(x, std=1.0, rng=0, clip=(0.0, 1.0))
    assert clipped.min() == 0.0 and clipped.max() == 1.0


def test_augment_with_every_step_off_returns_an_equal_copy(rng):
    x = images(rng, (3, 5, 5))
    out = augment(x, 0)
    np.testing.assert_array_equal(out, x)
    assert not np.shares_memory(out, x)


def test_augment_applies_its_steps_in_order_flip_rotate_shift_noise(rng):
    x = images(rng, (4, 1, 8, 8))
    gen = np.random.default_rng(5)
    by_hand = horizontal_flip(x, p=0.5, rng=gen)
    by_hand = random_rotation(by_hand, 10, rng=gen)
    by_hand = random_shift(by_hand, 1, rng=gen)
    by_hand = add_noise(by_hand, 0.1, rng=gen)
    np.testing.assert_array_equal(augment(x, 5, flip=0.5, rotation=10, shift=1, noise=0.1), by_hand)
