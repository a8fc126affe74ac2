"""MNIST-format (IDX) data: a reader, a loader with a built-in MNIST test split, and a download helper.

``load_mnist()`` works out of the box: pymi ships the real MNIST test split (10,000
digits, CC BY-SA 3.0, see ``pymi/data/mnist/LICENSE.md``). Other data are read from a
folder of IDX files (gzipped or not; torchvision's ``MNIST/raw`` layout works), from
Debian's Fashion-MNIST package (``apt-get install dataset-fashion-mnist`` puts it under
``/usr/share/datasets/fashion-mnist``), or downloaded with checksums on request
(``download=True``; never at import time).

The IDX format (http://yann.lecun.com/exdb/mnist/): a 4-byte big-endian magic number
``0x00 0x00 <dtype code> <ndim>`` (so uint8 labels are 2049 = 0x0801 and uint8 image
stacks 2051 = 0x0803), ``ndim`` big-endian uint32 sizes, then the data in C order,
big-endian.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.error
import urllib.request
import zlib
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["FASHION_DIR", "IMAGES_MAGIC", "LABELS_MAGIC", "load_mnist", "read_idx"]

#: IDX magic number of a uint8 label vector (1 dimension).
LABELS_MAGIC = 2049
#: IDX magic number of a uint8 image stack (3 dimensions).
IMAGES_MAGIC = 2051
#: Where Debian's ``dataset-fashion-mnist`` package installs Fashion-MNIST.
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")

# IDX type codes -> big-endian numpy dtypes.
_IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

# Canonical MD5 checksums of the distributed .gz files (the same torchvision uses).
_MD5: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion": {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
}

#: Download mirrors tried in order (base URLs; the file name is appended).
MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    "fashion": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}

_TORCHVISION_SUBDIR = {"mnist": "MNIST", "fashion": "FashionMNIST"}
_CACHE_SUBDIR = {"mnist": "mnist", "fashion": "fashion-mnist"}
_DOWNLOAD_TIMEOUT_S = 60.0


# --------------------------------------------------------------------------- IDX reader


def _gzip_error(path: Path, exc: BaseException) -> ValueError:
    msg = (
        f"{path}: expected a valid gzip stream (the file starts with the gzip signature), "
        f"but decompression failed ({exc}); the file is truncated or corrupt: delete it and "
        "download it again (load_mnist(..., download=True))"
    )
    return ValueError(msg)


def _read_exactly(fh: Any, n: int) -> bytes:
    """Up to ``n`` bytes of ``fh`` (fewer only at the end of the stream)."""
    chunks, left = [], n
    while left > 0:
        block = fh.read(min(left, 1 << 20))
        if not block:
            break
        chunks.append(block)
        left -= len(block)
    return b"".join(chunks)


def read_idx(path: str | os.PathLike[str], *, expected_magic: int | None = None) -> np.ndarray:
    """Read one IDX file (gzipped or raw) into a numpy array.

    Parameters
    ----------
    path : str or path-like
        The file. Gzip compression is detected from the content (not the name).
    expected_magic : int, optional
        If given, the magic number the file must carry, e.g. ``2051`` (:data:`IMAGES_MAGIC`)
        for uint8 image stacks or ``2049`` (:data:`LABELS_MAGIC`) for uint8 labels.

    Returns
    -------
    numpy.ndarray
        Shape given by the header, native byte order, writeable (uint8 for MNIST).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        Naming the file, for a bad gzip stream, a bad or unexpected magic number, an
        unknown type code, a truncated header, or a payload shorter or longer than the
        header's dimensions imply.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "labels-idx1-ubyte"
    >>> _ = p.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]))
    >>> read_idx(p, expected_magic=2049)
    array([7, 2, 1], dtype=uint8)
    """
    path = Path(path)
    if not path.is_file():
        msg = f"IDX file {path} does not exist (or is not a file); check the path"
        raise FileNotFoundError(msg)
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        fh: Any = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
        try:
            shape, dtype, payload, extra = _read_idx_stream(path, fh, expected_magic)
        except (OSError, EOFError, zlib.error) as exc:
            if not gzipped:
                raise
            raise _gzip_error(path, exc) from None
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(payload) != expected or extra:
        kind = "truncated" if len(payload) < expected else "has trailing data"
        if not extra:
            found = f"{len(payload)}"
        elif gzipped:  # not decompressed further: the trailing data may be huge
            found = f"more than {expected}"
        else:
            found = f"{path.stat().st_size - 4 - 4 * len(shape)}"
        msg = (
            f"{path}: header declares shape {shape} of {dtype.name} ({expected} data bytes), "
            f"found {found} data bytes: the file {kind}; delete it and download it again"
        )
        raise ValueError(msg)
    arr = np.frombuffer(payload, dtype=dtype).reshape(shape)
    return arr.astype(dtype.newbyteorder("="), copy=True)


def _read_idx_stream(
    path: Path, fh: Any, expected_magic: int | None
) -> tuple[tuple[int, ...], np.dtype, bytes, bool]:
    """Header, payload and whether data follow it; never reads more than the header implies.

    A gzip stream is decompressed only as far as the header's shape needs (plus one
    byte, to detect trailing data), so a small file that expands to gigabytes cannot
    exhaust memory.
    """
    head = _read_exactly(fh, 4)
    if len(head) < 4:
        msg = f"{path}: expected an IDX header of at least 4 bytes, found a file of {len(head)} bytes (truncated or empty)"
        raise ValueError(msg)
    magic = int.from_bytes(head, "big")
    code, ndim = head[2], head[3]
    if head[:2] != b"\x00\x00" or code not in _IDX_DTYPES or ndim < 1:
        msg = (
            f"{path}: expected an IDX magic number 0x0000TTNN (e.g. {LABELS_MAGIC} for labels, "
            f"{IMAGES_MAGIC} for images) with a known type code TT in "
            f"{[hex(c) for c in _IDX_DTYPES]} and NN >= 1 dimensions; found {magic} (0x{magic:08x}); "
            "this is not an IDX file"
        )
        raise ValueError(msg)
    if expected_magic is not None and magic != expected_magic:
        msg = (
            f"{path}: expected IDX magic number {expected_magic} (0x{expected_magic:08x}), found {magic} "
            f"(0x{magic:08x}); images and labels may be swapped, or this is another IDX file"
        )
        raise ValueError(msg)
    dims = _read_exactly(fh, 4 * ndim)
    if len(dims) < 4 * ndim:
        msg = f"{path}: expected a header of {4 + 4 * ndim} bytes for {ndim} dimensions, found only {4 + len(dims)} bytes (truncated file)"
        raise ValueError(msg)
    shape = tuple(int.from_bytes(dims[4 * i : 4 * i + 4], "big") for i in range(ndim))
    dtype = _IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    payload = _read_exactly(fh, expected)
    extra = bool(fh.read(1)) if len(payload) == expected else False
    return shape, dtype, payload, extra


# --------------------------------------------------------------------------- loader


def _file_md5(path: Path) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _embedded_dir() -> Path:
    """The folder holding the embedded MNIST test split inside the installed package."""
    return Path(str(resources.files("pymi") / "data" / "mnist"))


def _default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pymi"


def _file_names(split: str) -> tuple[str, str]:
    prefix = "t10k" if split == "test" else "train"
    return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"


def _find(folder: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        p = folder / name
        if p.is_file():
            return p
    return None


def _candidate_dirs(root: Path | None, kind: str, split: str, cache: Path) -> list[Path]:
    if root is not None:
        return [root, root / "raw", root / _TORCHVISION_SUBDIR[kind] / "raw"]
    dirs: list[Path] = []
    if kind == "mnist" and split == "test":
        dirs.append(_embedded_dir())
    if kind == "fashion":
        dirs.append(FASHION_DIR)
    dirs.append(cache / _CACHE_SUBDIR[kind])
    return dirs


def _download(kind: str, split: str, folder: Path) -> None:
    """Fetch the two .gz files of ``split`` into ``folder``, checking MD5; keep valid cached files."""
    folder.mkdir(parents=True, exist_ok=True)
    for stem in _file_names(split):
        name = stem + ".gz"
        want = _MD5[kind][name]
        target = folder / name
        if target.is_file() and _file_md5(target) == want:
            continue
        failures: list[str] = []
        for base in MIRRORS[kind]:
            url = base + name
            fd, tmp = tempfile.mkstemp(prefix=name + ".", suffix=".part", dir=folder)
            try:
                with (
                    os.fdopen(fd, "wb") as out,
                    urllib.request.urlopen(url, timeout=_DOWNLOAD_TIMEOUT_S) as resp,
                ):
                    for block in iter(lambda r=resp: r.read(1 << 20), b""):
                        out.write(block)
                got = _file_md5(Path(tmp))
                if got != want:
                    failures.append(f"{url}: MD5 {got} does not match the expected {want}")
                    continue
                os.replace(tmp, target)
                break
            except (OSError, urllib.error.URLError, ValueError) as exc:
                failures.append(f"{url}: {exc}")
            finally:
                if os.path.exists(tmp):
                    os.remove(tmp)
        else:
            msg = (
                f"could not download {name} ({kind}, {split} split) into {folder}: "
                + "; ".join(failures)
                + f". Check the network, or fetch the file by hand (MD5 {want}) and pass root=<its folder>"
            )
            raise OSError(msg)


def load_mnist(
    root: str | os.PathLike[str] | None = None,
    *,
    split: str = "test",
    kind: str = "mnist",
    download: bool = False,
    cache_dir: str | os.PathLike[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST or Fashion-MNIST images and labels.

    Parameters
    ----------
    root : str or path-like, optional
        A folder with the IDX files (``t10k-images-idx3-ubyte[.gz]`` and
        ``t10k-labels-idx1-ubyte[.gz]``, or the ``train-`` pair). Looked up in ``root``,
        ``root/raw`` and ``root/MNIST/raw`` (``root/FashionMNIST/raw`` for Fashion-MNIST),
        so torchvision's download folder works as is. ``None`` (default) uses the built-in
        locations: the embedded MNIST test split (``kind="mnist", split="test"``),
        ``/usr/share/datasets/fashion-mnist`` (``kind="fashion"``), then the download cache.
    split : {"test", "train"}, default "test"
        The 10,000-image test split or the 60,000-image training split.
    kind : {"mnist", "fashion"}, default "mnist"
        Handwritten digits (LeCun, Cortes & Burges) or Zalando's Fashion-MNIST.
    download : bool, default False
        If the files are not found, download them from the standard mirrors into
        ``cache_dir`` (MD5-checked) and read them from there. Nothing is ever downloaded
        unless this is True.
    cache_dir : str or path-like, optional
        Download cache; files go to ``cache_dir/mnist`` or ``cache_dir/fashion-mnist``.
        Default ``$XDG_CACHE_HOME/pymi`` or ``~/.cache/pymi``.

    Returns
    -------
    images : numpy.ndarray
        uint8, shape ``(n, 28, 28)``, values 0..255.
    labels : numpy.ndarray
        uint8, shape ``(n,)``, values 0..9 (rows aligned with ``images``).

    Raises
    ------
    FileNotFoundError
        If the files are in none of the searched folders (the message lists them and the fixes).
    ValueError
        For a bad ``split``/``kind``, a corrupt file, or image and label counts that differ.
    OSError
        If ``download=True`` and no mirror delivered a file with the right checksum.

    Examples
    --------
    >>> images, labels = load_mnist()          # embedded test split, no download
    >>> images.shape, images.dtype.name, int(labels.max())
    ((10000, 28, 28), 'uint8', 9)
    """
    if split not in ("test", "train"):
        msg = f"split must be 'test' or 'train'; got split={split!r}; pass split='test' (10,000 images) or split='train' (60,000)"
        raise ValueError(msg)
    if kind not in ("mnist", "fashion"):
        msg = f"kind must be 'mnist' or 'fashion'; got kind={kind!r}; pass kind='mnist' (digits) or kind='fashion' (Fashion-MNIST)"
        raise ValueError(msg)
    root_path = None if root is None else Path(root).expanduser()
    cache = _default_cache_dir() if cache_dir is None else Path(cache_dir).expanduser()
    images_stem, labels_stem = _file_names(split)

    dirs = _candidate_dirs(root_path, kind, split, cache)
    if download:
        target = cache / _CACHE_SUBDIR[kind]
        if not any(_find(d, images_stem) and _find(d, labels_stem) for d in dirs):
            _download(kind, split, target)
            dirs.append(target)

    for folder in dirs:
        img_path, lab_path = _find(folder, images_stem), _find(folder, labels_stem)
        if img_path is None or lab_path is None:
            continue
        if folder == _embedded_dir():
            for p in (img_path, lab_path):
                if _file_md5(p) != _MD5["mnist"][p.name]:
                    msg = f"{p}: the embedded MNIST file fails its MD5 check (expected {_MD5['mnist'][p.name]}); reinstall pymi"
                    raise ValueError(msg)
        images = read_idx(img_path, expected_magic=IMAGES_MAGIC)
        labels = read_idx(lab_path, expected_magic=LABELS_MAGIC)
        if images.shape[0] != labels.shape[0]:
            msg = (
                f"image and label counts differ: {img_path} holds {images.shape[0]} images, "
                f"{lab_path} holds {labels.shape[0]} labels; the two files come from different splits "
                "or one is damaged: replace them with a matching pair"
            )
            raise ValueError(msg)
        return images, labels

    looked = ", ".join(str(d) for d in dirs)
    fixes = "pass root=<folder with the IDX files>, or download=True to fetch them into " + str(
        cache / _CACHE_SUBDIR[kind]
    )
    if kind == "fashion":
        fixes += ", or install Debian's copy with `apt-get install dataset-fashion-mnist`"
    msg = (
        f"{kind} {split} split not found: looked for {images_stem}[.gz] and {labels_stem}[.gz] "
        f"(both in the same folder) in {looked}; {fixes}"
    )
    raise FileNotFoundError(msg)
