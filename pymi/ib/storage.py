"""The run folder of an information-plane experiment: incremental, crash-safe, resumable.

Layout of ``run_dir``::

    config.json        the resolved IBConfig (compared on every resume)
    metadata.json      versions, seeds, device, per-session timings, notes
    mi.csv             tidy MI table: epoch, layer, quantity, value, stderr, seconds
    epochs.csv         per epoch: train loss/accuracy, eval loss/accuracy, timings
    notes.csv          estimator warnings, failed estimates, I(L;Y) > log 10 artefacts
    checkpoint.pt      model + optimizer + RNG states after the last completed epoch
    input_codes.npy    4-D autoencoder codes X~ of the evaluation images (rows aligned)
    eval_indices.npy   which rows of the IDX split form the evaluation set
    ib_*.png           figures

Rows are appended (flush + fsync) as soon as an epoch is done, *before* its
checkpoint is written; on resume, rows of epochs newer than the checkpoint (an
epoch interrupted between the two writes) are dropped, so nothing is duplicated
and nothing that was checkpointed is lost. Whole-file writes go through a
temporary file in the same folder and ``os.replace`` (atomic on POSIX).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "EPOCH_FIELDS",
    "MI_FIELDS",
    "ConfigMismatchError",
    "RunStore",
    "atomic_write_bytes",
    "read_csv",
]

#: Columns of ``mi.csv``. ``quantity`` is ``"I(X;L)"`` or ``"I(L;Y)"``; ``value`` and
#: ``stderr`` in nats; ``seconds`` is the time of that one estimate.
MI_FIELDS = ("epoch", "layer", "quantity", "value", "stderr", "seconds")
#: Columns of ``epochs.csv`` (losses are mean NLL in nats; ``mi_seconds`` is all MI work
#: of the epoch: layer compression plus estimation; empty for epochs without MI).
EPOCH_FIELDS = (
    "epoch",
    "train_loss",
    "train_accuracy",
    "eval_loss",
    "eval_accuracy",
    "train_seconds",
    "eval_seconds",
    "compress_seconds",
    "estimate_seconds",
    "mi_seconds",
)

#: Columns of ``notes.csv``.
NOTE_FIELDS = ("epoch", "layer", "note")


class ConfigMismatchError(ValueError):
    """The run folder holds a run made with a different configuration."""


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: temp file in the same folder, fsync, rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    _fsync_dir(path.parent)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    msg = f"cannot store {type(obj).__name__} in JSON"
    raise TypeError(msg)


def _format(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


def read_csv(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Rows of a run CSV as dicts; numeric columns parsed (empty cells become NaN)."""
    path = Path(path)
    if not path.is_file():
        return []
    rows = []
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            parsed: dict[str, Any] = {}
            for key, text in row.items():
                if key in ("layer", "quantity", "note"):
                    parsed[key] = text
                elif key == "epoch":
                    parsed[key] = int(text)
                else:
                    parsed[key] = float(text) if text != "" else float("nan")
            rows.append(parsed)
    return rows


class RunStore:
    """Reads and writes one run folder (see the module docstring for its layout).

    Parameters
    ----------
    run_dir : str or path-like
        The folder; created if missing.
    """

    def __init__(self, run_dir: str | os.PathLike[str]) -> None:
        self.dir = Path(run_dir)
        self.config_path = self.dir / "config.json"
        self.metadata_path = self.dir / "metadata.json"
        self.mi_path = self.dir / "mi.csv"
        self.epochs_path = self.dir / "epochs.csv"
        self.checkpoint_path = self.dir / "checkpoint.pt"
        self.input_codes_path = self.dir / "input_codes.npy"
        self.eval_indices_path = self.dir / "eval_indices.npy"
        self.notes_path = self.dir / "notes.csv"

    # ------------------------------------------------------------------ config
    def prepare(
        self,
        config: dict[str, Any],
        identity: dict[str, Any],
        defaults: dict[str, Any] | None = None,
    ) -> bool:
        """Create the folder and write ``config.json``, or check it against an existing one.

        Parameters
        ----------
        config : dict
            The full resolved configuration (written to ``config.json``).
        identity : dict
            The fields that must equal those of an existing run to resume it.
        defaults : dict, optional
            The value a field missing from an existing ``config.json`` stands for
            (a run made before the field existed used its default).

        Returns
        -------
        bool
            True when the folder already held this run (resume), False for a new one.

        Raises
        ------
        ConfigMismatchError
            If ``config.json`` exists and differs in any identity field.
        """
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.config_path.is_file():
            old = json.loads(self.config_path.read_text())
            implied = defaults or {}
            old = {**{k: v for k, v in implied.items() if k not in old}, **old}
            diffs = [
                f"{key}: stored {old.get(key, '<missing>')!r}, requested {value!r}"
                for key, value in identity.items()
                if _normalise(old.get(key, _MISSING)) != _normalise(value)
            ]
            if diffs:
                msg = (
                    f"{self.dir} holds a run with a different configuration ("
                    + "; ".join(diffs)
                    + "). Resuming would mix two experiments: pass another run_dir "
                    "(--run-dir), rerun with the stored settings, or delete the folder"
                )
                raise ConfigMismatchError(msg)
            self.write_json(self.config_path, config)
            return True
        self.write_json(self.config_path, config)
        self.append_rows(self.notes_path, NOTE_FIELDS, [], header_only=True)
        return False

    def write_json(self, path: Path, obj: Any) -> None:
        """Atomically write ``obj`` as indented JSON."""
        text = json.dumps(obj, indent=2, sort_keys=True, default=_json_default, allow_nan=True)
        atomic_write_bytes(path, (text + "\n").encode())

    def read_json(self, path: Path) -> Any:
        """Read a JSON file of the run (``None`` if missing)."""
        return json.loads(path.read_text()) if path.is_file() else None

    # ------------------------------------------------------------------- rows
    def append_rows(
        self,
        path: Path,
        fields: Sequence[str],
        rows: Iterable[dict[str, Any]],
        *,
        header_only: bool = False,
    ) -> None:
        """Append ``rows`` to the CSV at ``path`` (header on first write), then flush and fsync.

        ``header_only=True`` creates the file with its header even without rows.
        """
        rows = list(rows)
        if not rows and not (header_only and not path.is_file()):
            return
        new = not path.is_file() or path.stat().st_size == 0
        with open(path, "a", newline="") as fh:
            writer = csv.writer(fh)
            if new:
                writer.writerow(fields)
            for row in rows:
                writer.writerow([_format(row.get(f)) for f in fields])
            fh.flush()
            os.fsync(fh.fileno())

    def append_mi(self, rows: Iterable[dict[str, Any]]) -> None:
        """Append MI rows (:data:`MI_FIELDS`)."""
        self.append_rows(self.mi_path, MI_FIELDS, rows)

    def append_epoch(self, row: dict[str, Any]) -> None:
        """Append one per-epoch row (:data:`EPOCH_FIELDS`)."""
        self.append_rows(self.epochs_path, EPOCH_FIELDS, [row])

    def append_notes(self, rows: Iterable[dict[str, Any]]) -> None:
        """Append notes (estimator warnings, failed estimates, H(Y) artefacts) to ``notes.csv``."""
        self.append_rows(self.notes_path, NOTE_FIELDS, rows)

    def truncate_after(self, epoch: int) -> int:
        """Drop CSV rows of epochs after ``epoch`` (work not covered by the checkpoint).

        Returns the number of rows dropped.
        """
        dropped = 0
        for path in (self.mi_path, self.epochs_path, self.notes_path):
            if not path.is_file():
                continue
            with open(path, newline="") as fh:
                lines = list(csv.reader(fh))
            if not lines:
                continue
            header, body = lines[0], lines[1:]
            keep = [r for r in body if r and int(r[0]) <= epoch]
            if len(keep) == len(body):
                continue
            dropped += len(body) - len(keep)
            buf = io.StringIO()
            writer = csv.writer(buf)
            writer.writerow(header)
            writer.writerows(keep)
            atomic_write_bytes(path, buf.getvalue().encode())
        return dropped

    def read_mi(self) -> list[dict[str, Any]]:
        """All MI rows so far."""
        return read_csv(self.mi_path)

    def read_epochs(self) -> list[dict[str, Any]]:
        """All per-epoch rows so far."""
        return read_csv(self.epochs_path)

    # ------------------------------------------------------------ checkpoints
    def save_checkpoint(self, state: dict[str, Any]) -> None:
        """Atomically write the checkpoint (``torch.save`` to a temp file, then rename)."""
        import torch

        buf = io.BytesIO()
        torch.save(state, buf)
        atomic_write_bytes(self.checkpoint_path, buf.getvalue())

    def load_checkpoint(self) -> dict[str, Any] | None:
        """The last checkpoint, or ``None`` when the run has none yet."""
        if not self.checkpoint_path.is_file():
            return None
        import torch

        return torch.load(self.checkpoint_path, map_location="cpu", weights_only=True)

    # ------------------------------------------------------------------ arrays
    def save_array(self, path: Path, array: np.ndarray) -> None:
        """Atomically write a ``.npy`` file."""
        buf = io.BytesIO()
        np.save(buf, array, allow_pickle=False)
        atomic_write_bytes(path, buf.getvalue())

    def load_array(self, path: Path) -> np.ndarray | None:
        """Read a ``.npy`` file of the run (``None`` if missing)."""
        return np.load(path, allow_pickle=False) if path.is_file() else None


_MISSING = object()


def _normalise(value: Any) -> Any:
    """Make JSON-loaded and in-memory values comparable (tuples vs lists, int vs float)."""
    if value is _MISSING:
        return value
    return json.loads(json.dumps(value, sort_keys=True, default=_json_default))
