"""Tests of pymi.datasets.mnist: the IDX reader, the loader, the embedded test split, downloads.

Every test writes its own small IDX files; nothing touches the network (downloads are
served from file:// URLs in a temporary folder).
"""

from __future__ import annotations

import gzip
import hashlib
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from pymi.datasets import mnist
from pymi.datasets.mnist import IMAGES_MAGIC, LABELS_MAGIC, load_mnist, read_idx

EMBEDDED = Path(mnist.__file__).resolve().parent.parent / "data" / "mnist"


def idx_bytes(arr: np.ndarray, code: int = 0x08) -> bytes:
    """Serialise ``arr`` as IDX: 0x0000, type code, ndim, big-endian sizes, big-endian data."""
    dt = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}[code]
    header = bytes([0, 0, code, arr.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
    return header + np.ascontiguousarray(arr, dtype=dt).tobytes()


def write(path: Path, data: bytes, gz: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if gz:
        path = path.with_name(path.name + ".gz")
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def tiny_split(n: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n, dtype=np.uint8)


def write_split(
    folder: Path, split: str = "test", gz: bool = False, n: int = 6, n_labels: int | None = None
):
    images, labels = tiny_split(n)
    prefix = "t10k" if split == "test" else "train"
    lab = labels if n_labels is None else np.arange(n_labels, dtype=np.uint8) % 10
    write(folder / f"{prefix}-images-idx3-ubyte", idx_bytes(images), gz)
    write(folder / f"{prefix}-labels-idx1-ubyte", idx_bytes(lab), gz)
    return images, lab


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to reach a non-file URL fails the test."""
    real = urllib.request.urlopen

    def guarded(url, *args, **kwargs):
        target = url if isinstance(url, str) else url.full_url
        if not target.startswith("file:"):
            msg = f"network access attempted: {target}"
            raise AssertionError(msg)
        return real(url, *args, **kwargs)

    monkeypatch.setattr(urllib.request, "urlopen", guarded)


@pytest.fixture
def no_system_dirs(monkeypatch, tmp_path):
    """Point the Debian Fashion-MNIST folder and the default cache at empty temporary paths."""
    monkeypatch.setattr(mnist, "FASHION_DIR", tmp_path / "no-debian-fashion")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


# --------------------------------------------------------------------------- read_idx


class TestReadIdx:
    @pytest.mark.parametrize("gz", [False, True])
    def test_round_trip_uint8(self, tmp_path, gz):
        images, labels = tiny_split()
        pi = write(tmp_path / "img", idx_bytes(images), gz)
        pl = write(tmp_path / "lab", idx_bytes(labels), gz)
        out = read_idx(pi, expected_magic=IMAGES_MAGIC)
        np.testing.assert_array_equal(out, images)
        assert out.dtype == np.uint8 and out.flags.writeable
        np.testing.assert_array_equal(read_idx(str(pl), expected_magic=LABELS_MAGIC), labels)

    @pytest.mark.parametrize(
        ("code", "dtype"),
        [
            (0x09, np.int8),
            (0x0B, np.int16),
            (0x0C, np.int32),
            (0x0D, np.float32),
            (0x0E, np.float64),
        ],
    )
    def test_other_type_codes(self, tmp_path, code, dtype):
        arr = (np.arange(24).reshape(2, 3, 4) - 7).astype(dtype)
        out = read_idx(write(tmp_path / "a", idx_bytes(arr, code)))
        np.testing.assert_array_equal(out, arr)
        assert out.dtype == np.dtype(dtype) and out.dtype.isnative

    def test_gzip_detected_by_content_not_name(self, tmp_path):
        labels = np.arange(5, dtype=np.uint8)
        p = tmp_path / "labels.idx"  # no .gz suffix
        p.write_bytes(gzip.compress(idx_bytes(labels)))
        np.testing.assert_array_equal(read_idx(p), labels)

    def test_missing_file(self, tmp_path):
        with pytest.raises(FileNotFoundError, match=r"IDX file .*nope-idx1-ubyte does not exist"):
            read_idx(tmp_path / "nope-idx1-ubyte")

    @pytest.mark.parametrize(
        ("data", "match"),
        [
            (b"\x00\x00", r"expected an IDX header of at least 4 bytes, found a file of 2 bytes"),
            (b"", r"found a file of 0 bytes"),
            (
                b"\x01\x02\x08\x01" + bytes(8),
                r"expected an IDX magic number 0x0000TTNN .*found 16910337 \(0x01020801\); this is not an IDX file",
            ),
            (b"\x00\x00\x07\x01" + bytes(8), r"found 1793 \(0x00000701\)"),
            (b"\x00\x00\x08\x00", r"NN >= 1 dimensions; found 2048"),
            (
                b"\x00\x00\x08\x03\x00\x00\x00\x02",
                r"expected a header of 16 bytes for 3 dimensions, found only 8 bytes \(truncated file\)",
            ),
            (
                idx_bytes(np.zeros((4, 3, 3), np.uint8))[:-5],
                r"header declares shape \(4, 3, 3\) of uint8 \(36 data bytes\), found 31 data bytes: the file truncated",
            ),
            (
                idx_bytes(np.zeros(4, np.uint8)) + b"xx",
                r"shape \(4,\) of uint8 \(4 data bytes\), found 6 data bytes: the file has trailing data",
            ),
            (
                idx_bytes(np.zeros(3, np.float64), 0x0E)[:-1],
                r"of float64 \(24 data bytes\), found 23",
            ),
        ],
    )
    def test_corrupt_files(self, tmp_path, data, match):
        p = write(tmp_path / "bad-idx", data)
        with pytest.raises(ValueError, match=match) as info:
            read_idx(p)
        assert str(p) in str(info.value)  # the message names the file

    def test_truncated_gzip(self, tmp_path):
        p = write(tmp_path / "t10k-images-idx3-ubyte", idx_bytes(tiny_split()[0]), gz=True)
        p.write_bytes(p.read_bytes()[:200])
        with pytest.raises(
            ValueError,
            match=r"t10k-images-idx3-ubyte\.gz: expected a valid gzip stream .*truncated or corrupt: delete it and download it again",
        ):
            read_idx(p)

    def test_expected_magic(self, tmp_path):
        p = write(tmp_path / "lab", idx_bytes(np.arange(3, dtype=np.uint8)))
        with pytest.raises(
            ValueError,
            match=r"expected IDX magic number 2051 \(0x00000803\), found 2049 \(0x00000801\); images and labels may be swapped",
        ):
            read_idx(p, expected_magic=IMAGES_MAGIC)


# --------------------------------------------------------------------------- load_mnist


class TestLoadMnist:
    @pytest.mark.parametrize("gz", [False, True])
    @pytest.mark.parametrize("layout", ["", "raw", "MNIST/raw"])
    @pytest.mark.parametrize("split", ["test", "train"])
    def test_layouts(self, tmp_path, gz, layout, split):
        images, labels = write_split(tmp_path / layout, split=split, gz=gz)
        x, y = load_mnist(tmp_path, split=split)
        np.testing.assert_array_equal(x, images)
        np.testing.assert_array_equal(y, labels)
        assert x.dtype == np.uint8 and y.dtype == np.uint8

    def test_fashion_torchvision_layout(self, tmp_path):
        images, labels = write_split(tmp_path / "FashionMNIST" / "raw", gz=True)
        x, y = load_mnist(str(tmp_path), kind="fashion")
        np.testing.assert_array_equal(x, images)

    def test_fashion_debian_default(self, tmp_path, monkeypatch, no_system_dirs):
        debian = tmp_path / "debian"
        images, _ = write_split(debian, split="train", gz=True)
        monkeypatch.setattr(mnist, "FASHION_DIR", debian)
        x, _ = load_mnist(kind="fashion", split="train")
        np.testing.assert_array_equal(x, images)

    def test_raw_preferred_and_pair_from_one_folder(self, tmp_path):
        # labels only at the top, a complete pair under raw/: the complete folder wins
        write(tmp_path / "t10k-labels-idx1-ubyte", idx_bytes(np.zeros(99, np.uint8)))
        images, labels = write_split(tmp_path / "raw")
        x, y = load_mnist(tmp_path)
        assert x.shape[0] == y.shape[0] == 6

    def test_mismatched_counts(self, tmp_path):
        write_split(tmp_path, n=6, n_labels=5)
        with pytest.raises(
            ValueError,
            match=r"image and label counts differ: .*t10k-images-idx3-ubyte holds 6 images, .*t10k-labels-idx1-ubyte holds 5 labels",
        ):
            load_mnist(tmp_path)

    def test_swapped_files(self, tmp_path):
        images, labels = tiny_split()
        write(tmp_path / "t10k-images-idx3-ubyte", idx_bytes(labels))
        write(tmp_path / "t10k-labels-idx1-ubyte", idx_bytes(images))
        with pytest.raises(
            ValueError, match=r"t10k-images-idx3-ubyte: expected IDX magic number 2051"
        ):
            load_mnist(tmp_path)

    def test_missing_lists_places_and_fixes(self, tmp_path, no_system_dirs):
        with pytest.raises(
            FileNotFoundError,
            match=r"mnist test split not found: looked for t10k-images-idx3-ubyte\[\.gz\] and t10k-labels-idx1-ubyte\[\.gz\] .* in .*empty, .*empty/raw, .*empty/MNIST/raw; pass root=<folder with the IDX files>, or download=True",
        ):
            load_mnist(tmp_path / "empty")
        with pytest.raises(
            FileNotFoundError,
            match=r"mnist train split not found: .*xdg-cache/pymi/mnist; pass root=",
        ):
            load_mnist(split="train")
        with pytest.raises(
            FileNotFoundError,
            match=r"fashion test split not found: .*no-debian-fashion, .*fashion-mnist; .*`apt-get install dataset-fashion-mnist`",
        ):
            load_mnist(kind="fashion")

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            (
                {"split": "validation"},
                r"split must be 'test' or 'train'; got split='validation'; pass split='test'",
            ),
            (
                {"kind": "kmnist"},
                r"kind must be 'mnist' or 'fashion'; got kind='kmnist'; pass kind='mnist'",
            ),
        ],
    )
    def test_bad_arguments(self, kwargs, match):
        with pytest.raises(ValueError, match=match):
            load_mnist(**kwargs)


# --------------------------------------------------------------------------- embedded copy


class TestEmbedded:
    def test_md5_matches(self):
        sums = dict(
            line.split()[::-1]
            for line in (EMBEDDED / "MD5SUMS").read_text().splitlines()
            if line.strip()
        )
        assert set(sums) == {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}
        for name, want in sums.items():
            assert hashlib.md5((EMBEDDED / name).read_bytes()).hexdigest() == want
            assert mnist._MD5["mnist"][name] == want

    def test_license_note(self):
        text = (EMBEDDED / "LICENSE.md").read_text()
        assert "CC BY-SA 3.0" in text
        for author in ("LeCun", "Cortes", "Burges"):
            assert author in text

    def test_loads_without_arguments(self):
        x, y = load_mnist()
        assert x.shape == (10_000, 28, 28) and x.dtype == np.uint8
        assert y.shape == (10_000,) and y.dtype == np.uint8
        assert set(np.unique(y).tolist()) == set(range(10))
        assert x.max() == 255 and x.min() == 0
        assert y[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]  # the well-known first test digits
        assert mnist._embedded_dir() == EMBEDDED

    def test_embedded_checksum_enforced(self, tmp_path, monkeypatch):
        fake = tmp_path / "embedded"
        write_split(fake, gz=True)
        monkeypatch.setattr(mnist, "_embedded_dir", lambda: fake)
        with pytest.raises(
            ValueError, match=r"the embedded MNIST file fails its MD5 check .*reinstall pymi"
        ):
            load_mnist()


# --------------------------------------------------------------------------- downloads (file:// only)


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A fake 'train' split served from two file:// mirrors; the first one serves garbage."""
    good, bad = tmp_path / "good", tmp_path / "bad"
    images, labels = write_split(good, split="train", gz=True, n=4)
    bad.mkdir()
    md5 = {}
    for p in good.iterdir():
        md5[p.name] = hashlib.md5(p.read_bytes()).hexdigest()
        (bad / p.name).write_bytes(b"not the file")
    monkeypatch.setitem(mnist._MD5, "mnist", md5)
    monkeypatch.setitem(mnist.MIRRORS, "mnist", (bad.as_uri() + "/", good.as_uri() + "/"))
    return images, labels, bad, good


class TestDownload:
    def test_download_falls_back_and_caches(self, tmp_path, mirror, no_system_dirs):
        images, labels, _, good = mirror
        cache = tmp_path / "cache"
        x, y = load_mnist(split="train", download=True, cache_dir=cache)
        np.testing.assert_array_equal(x, images)
        np.testing.assert_array_equal(y, labels)
        assert sorted(p.name for p in (cache / "mnist").iterdir()) == [
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte.gz",
        ]
        # second call: found in the cache, no download (the mirrors are gone)
        for p in good.iterdir():
            p.unlink()
        x2, _ = load_mnist(split="train", download=True, cache_dir=cache)
        np.testing.assert_array_equal(x2, images)
        x3, _ = load_mnist(split="train", cache_dir=cache)  # and without download=True
        np.testing.assert_array_equal(x3, images)

    def test_all_mirrors_fail(self, tmp_path, mirror, no_system_dirs, monkeypatch):
        _, _, bad, _ = mirror
        monkeypatch.setitem(
            mnist.MIRRORS, "mnist", (bad.as_uri() + "/", (tmp_path / "absent").as_uri() + "/")
        )
        with pytest.raises(
            OSError,
            match=r"could not download train-images-idx3-ubyte\.gz \(mnist, train split\) into .*: .*bad/train-images-idx3-ubyte\.gz: MD5 [0-9a-f]{32} does not match the expected [0-9a-f]{32}; .*absent/train-images-idx3-ubyte\.gz: .*pass root=",
        ):
            load_mnist(split="train", download=True, cache_dir=tmp_path / "cache")
        assert not any((tmp_path / "cache" / "mnist").glob("*.part"))  # no partial files left

    def test_no_download_by_default(self, tmp_path, mirror, no_system_dirs):
        with pytest.raises(FileNotFoundError, match=r"or download=True"):
            load_mnist(split="train", cache_dir=tmp_path / "cache")
        assert not (tmp_path / "cache").exists()


def test_gzip_bomb_is_refused_without_decompressing_it(tmp_path):
    """Non-regression: the IDX reader decompressed without a cap (a 0.6 MB gzip became 1.3 GB).

    The header declares 10 labels; 64 MB of zeros follow. Reading stops after the 10
    bytes the header implies (+1 to see that more follows).
    """
    import gzip
    import tracemalloc

    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write(bytes([0, 0, 8, 1, 0, 0, 0, 10]) + bytes(range(10)))
        block = bytes(1 << 20)
        for _ in range(64):
            fh.write(block)
    assert path.stat().st_size < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"declares shape \(10,\) of uint8 \(10 data bytes\), found more than 10 data bytes: the file has trailing data"):
            read_idx(path, expected_magic=2049)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * (1 << 20)  # far below the 64 MB the stream expands to


def test_gzip_stream_cut_short_names_the_file(tmp_path):
    import gzip

    data = gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 200]) + bytes(200))
    path = tmp_path / "labels.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"labels.gz: expected a valid gzip stream .*truncated or corrupt"):
        read_idx(path)
