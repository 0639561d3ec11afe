"""Image data: the Fashion-MNIST subset shipped in ``data/``, and seeded augmentation for image batches.

Every augmentation takes a batch ``(N, C, H, W)`` or ``(N, H, W)`` NumPy array and returns a new
floating array of the same layout (``random_crop`` may change H and W). Randomness comes from
``rng``: an int seed, a ``numpy.random.Generator``, or ``None`` for nnlib's generator (seeded by
``nnlib.manual_seed``), so an augmented batch is reproducible. All resampling is written in NumPy:
an output pixel looks up where it came from in the input (inverse mapping) and interpolates
bilinearly between the four nearest input pixels; pixels that come from outside the image get ``fill``.
"""
import numpy as np

from nnlib.data.datasets import Dataset
from nnlib.data.files import verified_path
from nnlib.random import get_generator

__all__ = [
    "FASHION_MNIST_CLASSES",
    "load_fashion_mnist",
    "random_rotation",
    "random_shift",
    "random_crop",
    "add_noise",
    "horizontal_flip",
    "augment",
]

FASHION_MNIST_FILE = "fashion_mnist/fashion_mnist_subset.npz"
FASHION_MNIST_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]


def load_fashion_mnist(split: str = "train") -> Dataset:
    """Fashion-MNIST subset (Xiao, Rasul & Vollgraf 2017): 28x28 greyscale clothing images, 10 classes.

    ``split="train"``: 5000 images (500 per class); ``split="test"``: 2000 (200 per class), taken
    from the original test file. Returns a :class:`Dataset` with ``images`` (N, 28, 28) float64 and
    ``data`` (N, 784) float64 (the images flattened row by row), both raw intensities 0..255, and
    ``target`` (N,) int64 in 0..9; ``target_names`` are the class names.
    """
    if split not in ("train", "test"):
        raise ValueError(f"load_fashion_mnist: split must be 'train' or 'test', got {split!r}")
    with np.load(verified_path(FASHION_MNIST_FILE), allow_pickle=False) as f:
        images = f[f"{split}_images"].astype(np.float64)
        target = f[f"{split}_labels"].astype(np.int64)
    n = {"train": "5000 training", "test": "2000 test"}[split]
    return Dataset(
        data=images.reshape(len(images), -1),
        target=target,
        images=images,
        feature_names=[f"pixel_{r}_{c}" for r in range(28) for c in range(28)],
        target_names=list(FASHION_MNIST_CLASSES),
        description=(
            f"Fashion-MNIST, stratified subset: {n} images (Zalando Research, 2017)\n"
            "28x28 greyscale photos of clothing from Zalando's catalogue, intensities 0..255, in 10\n"
            "balanced classes; made by data/fashion_mnist/make_subset.py (seed 0) from the full set."
        ),
        licence="MIT (Copyright 2017 Zalando SE)",
        citation=(
            "Xiao, H., Rasul, K. & Vollgraf, R. (2017). Fashion-MNIST: a Novel Image Dataset for "
            "Benchmarking Machine Learning Algorithms. arXiv:1708.07747"
        ),
        files=[FASHION_MNIST_FILE],
    )


# --- helpers ---------------------------------------------------------------------------------
def _as_batch(who, images):
    """``(N, C, H, W)`` float view of a batch, and whether the input had no channel axis."""
    if not isinstance(images, np.ndarray):
        raise TypeError(f"{who} expects a NumPy array of images, got {type(images).__module__}.{type(images).__name__}")
    if images.ndim not in (3, 4):
        raise ValueError(
            f"{who} expects a batch of images of shape (N, C, H, W) or (N, H, W), "
            f"got a {images.ndim}-D array of shape {images.shape}"
        )
    # integer images (uint8 pixels) become float64: interpolation and noise produce fractions
    x = images if np.issubdtype(images.dtype, np.floating) else images.astype(np.float64)
    return (x[:, None] if images.ndim == 3 else x), images.ndim == 3


def _restore(x, squeeze):
    return x[:, 0] if squeeze else x


def _sample(x, src_y, src_x, fill):
    """Bilinear lookup: out[n, c, i, j] = x[n, c] at the real-valued point (src_y[n, i, j], src_x[n, i, j]).

    x: (N, C, H, W); src_y, src_x: (N, h, w) -> (N, C, h, w). Points outside the image read ``fill``.
    At integer coordinates this is an exact copy, so shifts and a rotation by 0 lose nothing.
    """
    n, c, h, w = x.shape
    # one ring of `fill` around each image, so neighbours just outside the border read `fill`
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=fill)
    y0, x0 = np.floor(src_y), np.floor(src_x)
    wy, wx = (src_y - y0)[:, None], (src_x - x0)[:, None]  # (N, 1, h, w): broadcast over channels
    batch = np.arange(n)[:, None, None]

    def at(yy, xx):
        # points further out than the ring are clipped onto it, so they read `fill` too
        yy = np.clip(yy + 1, 0, h + 1).astype(np.intp)
        xx = np.clip(xx + 1, 0, w + 1).astype(np.intp)
        return np.moveaxis(padded[batch, :, yy, xx], -1, 1)  # advanced indexing puts C last

    top = (1 - wx) * at(y0, x0) + wx * at(y0, x0 + 1)
    bottom = (1 - wx) * at(y0 + 1, x0) + wx * at(y0 + 1, x0 + 1)
    return ((1 - wy) * top + wy * bottom).astype(x.dtype, copy=False)


def _grid(n, h, w):
    """Row and column index of every output pixel, each (N, h, w) float64."""
    rows, cols = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
    return np.broadcast_to(rows, (n, h, w)), np.broadcast_to(cols, (n, h, w))


def _check_nonnegative(who, name, value):
    if value < 0:
        raise ValueError(f"{who} expects {name} >= 0, got {value}")


# --- augmentations ---------------------------------------------------------------------------
def random_rotation(images, max_degrees=15.0, rng=None, fill=0.0, *, degrees=None):
    """Rotate each image about its centre by an angle drawn from U(-max_degrees, max_degrees).

    Positive angles turn the picture counter-clockwise on screen (as ``np.rot90`` and
    torchvision do). ``degrees`` (a number or an (N,) array) fixes the angles instead of drawing
    them. Bilinear interpolation; corners uncovered by the turn get ``fill``.
    images: (N, C, H, W) or (N, H, W) -> same shape, floating.
    """
    x, squeeze = _as_batch("random_rotation", images)
    n, _, h, w = x.shape
    if degrees is None:
        _check_nonnegative("random_rotation", "max_degrees", max_degrees)
        degrees = get_generator(rng).uniform(-max_degrees, max_degrees, size=n)
    theta = np.deg2rad(np.broadcast_to(np.asarray(degrees, dtype=np.float64), (n,)))[:, None, None]
    rows, cols = _grid(n, h, w)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    dy, dx = rows - cy, cols - cx
    # inverse mapping: the output pixel at (dy, dx) from the centre comes from that offset turned back by theta
    cos, sin = np.cos(theta), np.sin(theta)
    src_y = cy + cos * dy + sin * dx
    src_x = cx + cos * dx - sin * dy
    return _restore(_sample(x, src_y, src_x, fill), squeeze)


def random_shift(images, max_shift=2, rng=None, fill=0.0):
    """Translate each image by whole pixels (dy, dx), each drawn uniformly from -max_shift..max_shift.

    Pixels pushed over the border are lost; the uncovered band gets ``fill``. Equivalent to
    padding by ``max_shift`` and cropping back to the original size at a random place.
    images: (N, C, H, W) or (N, H, W) -> same shape, floating.
    """
    x, squeeze = _as_batch("random_shift", images)
    _check_nonnegative("random_shift", "max_shift", max_shift)
    n, _, h, w = x.shape
    shifts = get_generator(rng).integers(-max_shift, max_shift + 1, size=(2, n, 1, 1))
    rows, cols = _grid(n, h, w)
    return _restore(_sample(x, rows - shifts[0], cols - shifts[1], fill), squeeze)


def random_crop(images, size, padding=0, rng=None, fill=0.0):
    """Pad each image by ``padding`` pixels of ``fill`` on every side, then cut a random ``size`` window.

    ``size`` is an int (square) or ``(h, w)``, as ``torchvision.transforms.RandomCrop``; with
    ``size`` equal to the image size this is a random shift of at most ``padding`` pixels.
    images: (N, C, H, W) or (N, H, W) -> (N, C, h, w) or (N, h, w), floating.
    """
    x, squeeze = _as_batch("random_crop", images)
    _check_nonnegative("random_crop", "padding", padding)
    n, _, h, w = x.shape
    out_h, out_w = (size, size) if np.isscalar(size) else size
    if not (0 < out_h <= h + 2 * padding and 0 < out_w <= w + 2 * padding):
        raise ValueError(
            f"random_crop: crop size {(out_h, out_w)} does not fit in images of size {(h, w)} "
            f"padded by {padding} (at most {(h + 2 * padding, w + 2 * padding)})"
        )
    generator = get_generator(rng)
    top = generator.integers(0, h + 2 * padding - out_h + 1, size=(n, 1, 1))
    left = generator.integers(0, w + 2 * padding - out_w + 1, size=(n, 1, 1))
    rows, cols = _grid(n, out_h, out_w)
    # a window starting at `top` in the padded image starts at `top - padding` in the original
    return _restore(_sample(x, rows + top - padding, cols + left - padding, fill), squeeze)


def add_noise(images, std=0.1, rng=None, clip=None):
    """Add Gaussian noise N(0, std^2) to every pixel; ``clip=(low, high)`` keeps values in range.

    images: (N, C, H, W) or (N, H, W) -> same shape, floating.
    """
    x, squeeze = _as_batch("add_noise", images)
    _check_nonnegative("add_noise", "std", std)
    noisy = x + get_generator(rng).normal(0.0, std, size=x.shape).astype(x.dtype, copy=False)
    if clip is not None:
        noisy = np.clip(noisy, *clip)
    return _restore(noisy, squeeze)


def horizontal_flip(images, p=1.0, rng=None):
    """Mirror each image left to right with probability ``p`` (``p=1``: all of them, no randomness).

    images: (N, C, H, W) or (N, H, W) -> same shape, floating.
    """
    x, squeeze = _as_batch("horizontal_flip", images)
    if not 0 <= p <= 1:
        raise ValueError(f"horizontal_flip expects a probability 0 <= p <= 1, got p={p}")
    flip = np.ones(len(x), dtype=bool) if p == 1 else get_generator(rng).random(len(x)) < p
    out = x.copy()
    out[flip] = x[flip][..., ::-1]
    return _restore(out, squeeze)


def augment(images, rng=None, *, rotation=0.0, shift=0, noise=0.0, flip=0.0, fill=0.0, clip=None):
    """A random variant of every image: flip (probability ``flip``), rotate (up to ``rotation`` degrees),
    shift (up to ``shift`` pixels), then add noise (standard deviation ``noise``). Zero turns a step off.

    One generator drives every step, so the same ``rng`` seed gives the same batch.
    images: (N, C, H, W) or (N, H, W) -> same shape, floating.
    """
    generator = get_generator(rng)
    x, squeeze = _as_batch("augment", images)
    if flip:
        x = horizontal_flip(x, p=float(flip), rng=generator)
    if rotation:
        x = random_rotation(x, rotation, rng=generator, fill=fill)
    if shift:
        x = random_shift(x, shift, rng=generator, fill=fill)
    if noise:
        x = add_noise(x, noise, rng=generator, clip=clip)
    elif clip is not None:
        x = np.clip(x, *clip)
    if np.shares_memory(x, images):
        x = x.copy()  # every step was off: still never hand back (a view of) the caller's array
    return _restore(x, squeeze)
