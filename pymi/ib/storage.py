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

The three tables are append-only (:class:`pymi.runs.Table`): rows are appended
(flush + fsync) as soon as an epoch is done, *before* its checkpoint is written. An
epoch interrupted between the two writes is computed again on resume and its rows
appended again; readers keep the last row per key (epoch, layer, quantity), so
nothing is duplicated and nothing already written is rewritten. A torn last line is
cut off when the folder is opened; damage anywhere else is refused with a one-line
:class:`pymi.runs.RunFileError`. Whole files are written atomically with the user's
umask; the checkpoint loads with ``weights_only=True``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ..runs import (
    ConfigMismatchError,
    RunFileError,
    Table,
    atomic_write_json,
    ensure_config,
    ensure_folder,
    load_npy,
    load_torch,
    read_json,
    save_npy,
    save_torch,
)

__all__ = [
    "EPOCH_FIELDS",
    "MI_FIELDS",
    "NOTE_FIELDS",
    "ConfigMismatchError",
    "RunStore",
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

_FIX = "only the last line may be incomplete; repair the line, or pass another run_dir (--run-dir)"
_TABLES: dict[str, tuple[dict[str, type], tuple[str, ...], str]] = {
    "mi.csv": (
        {
            "epoch": int,
            "layer": str,
            "quantity": str,
            "value": float,
            "stderr": float,
            "seconds": float,
        },
        ("epoch", "layer", "quantity"),
        "MI per epoch and layer",
    ),
    "epochs.csv": (
        {"epoch": int, **{f: float for f in EPOCH_FIELDS[1:]}},
        ("epoch",),
        "training per epoch",
    ),
    "notes.csv": ({"epoch": int, "layer": str, "note": str}, NOTE_FIELDS, "notes of the run"),
}
_OPTION = "run_dir (--run-dir)"


def _table(path: Path) -> Table:
    columns, key, what = _TABLES[path.name]
    return Table(path, columns, key=key, what=what, fix=_FIX)


def read_csv(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Rows of ``mi.csv``, ``epochs.csv`` or ``notes.csv``: typed, the last row per key.

    Numeric cells are parsed (empty ones become NaN); a missing file gives ``[]``.

    Raises
    ------
    pymi.runs.RunFileError
        If the file is damaged anywhere but in its last line.
    ValueError
        If ``path`` is not one of the three tables of a run folder.
    """
    path = Path(path)
    if path.name not in _TABLES:
        msg = f"read_csv reads the tables of an ib run folder ({', '.join(_TABLES)}); got {str(path)!r}"
        raise ValueError(msg)
    return _table(path).read()


class RunStore:
    """Reads and writes one run folder (see the module docstring for its layout).

    Parameters
    ----------
    run_dir : str or path-like
        The folder; created by :meth:`prepare`.
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
        self.input_ae_path = self.dir / "input_autoencoder.pt"
        self.input_ae_record_path = self.dir / "input_autoencoder.json"
        self._tables = {
            p.name: _table(p) for p in (self.mi_path, self.epochs_path, self.notes_path)
        }

    # ------------------------------------------------------------------ config
    def prepare(
        self,
        config: dict[str, Any],
        identity: dict[str, Any],
        defaults: dict[str, Any] | None = None,
    ) -> bool:
        """Create the folder, check every file in it, write or check ``config.json``.

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
        pymi.runs.RunFolderError
            If ``run_dir`` is a file, or a file in it is damaged (:class:`pymi.runs.RunFileError`).
        """
        ensure_folder(self.dir, option=_OPTION)
        self.read_metadata()
        for table in self._tables.values():
            table.read()  # refuse damage before anything is written
        if not self.config_path.exists() and any(
            p.exists() for p in (self.mi_path, self.checkpoint_path)
        ):
            msg = f"{str(self.dir)!r} holds results without a config.json; it is not a pymi ib run folder, pass another {_OPTION}"
            raise RunFileError(msg)
        resumed = ensure_config(
            self.config_path, config, option=_OPTION, compare=list(identity), defaults=defaults
        )
        for table in self._tables.values():
            table.open()
        return resumed

    def write_json(self, path: Path, obj: Any) -> None:
        """Atomically write ``obj`` as indented JSON."""
        atomic_write_json(path, obj, sort_keys=True)

    def read_json(self, path: Path) -> Any:
        """Read a JSON file of the run (``None`` if missing; damage is a :class:`pymi.runs.RunFileError`)."""
        return read_json(
            path, what="a file of the ib run", fix=f"move it away, or pass another {_OPTION}"
        )

    def read_metadata(self) -> dict[str, Any]:
        """The run's ``metadata.json`` (empty for a new run); a damaged one is refused, not replaced."""
        meta = read_json(
            self.metadata_path, what="the run's history", fix="repair it or move it away"
        )
        if meta is not None and not isinstance(meta, dict):
            msg = f"{str(self.metadata_path)!r} (the run's history) holds a JSON {type(meta).__name__}, not a table; repair it or move it away"
            raise RunFileError(msg)
        return meta or {}

    # ------------------------------------------------------------------- rows
    def append_mi(self, rows: Iterable[dict[str, Any]]) -> None:
        """Append MI rows (:data:`MI_FIELDS`)."""
        self._tables["mi.csv"].append(rows)

    def append_epoch(self, row: dict[str, Any]) -> None:
        """Append one per-epoch row (:data:`EPOCH_FIELDS`)."""
        self._tables["epochs.csv"].append([row])

    def append_notes(self, rows: Iterable[dict[str, Any]]) -> None:
        """Append notes (estimator warnings, failed estimates, H(Y) artefacts) to ``notes.csv``."""
        self._tables["notes.csv"].append(rows)

    def read_mi(self) -> list[dict[str, Any]]:
        """All MI rows so far (the last row per epoch, layer and quantity)."""
        return self._tables["mi.csv"].read()

    def read_epochs(self) -> list[dict[str, Any]]:
        """All per-epoch rows so far (the last row per epoch)."""
        return self._tables["epochs.csv"].read()

    def read_notes(self) -> list[dict[str, Any]]:
        """All notes so far."""
        return self._tables["notes.csv"].read()

    # ------------------------------------------------------------ checkpoints
    def save_checkpoint(self, state: dict[str, Any]) -> None:
        """Atomically write the checkpoint (tensors and plain data)."""
        save_torch(self.checkpoint_path, state)

    def load_checkpoint(self) -> dict[str, Any] | None:
        """The last checkpoint (``weights_only=True``), or ``None`` when the run has none yet.

        Raises
        ------
        pymi.runs.RunFileError
            If the checkpoint is empty, truncated, a folder, or needs pickled code
            (:class:`pymi.runs.UnsafeFileError`).
        """
        state = load_torch(
            self.checkpoint_path,
            what="the checkpoint of the last epoch",
            fix="delete it to restart the run from epoch 0 (its rows are recomputed), or pass another run_dir (--run-dir)",
        )
        if state is not None and not (
            isinstance(state, dict) and {"epoch", "model", "optimizer"} <= set(state)
        ):
            msg = f"{str(self.checkpoint_path)!r} is not a checkpoint of pymi ib (no epoch, model and optimizer); delete it to restart the run from epoch 0"
            raise RunFileError(msg)
        return state

    def save_model(self, path: Path, state: dict[str, Any]) -> None:
        """Atomically write a model's state (tensors and plain data)."""
        save_torch(path, state)

    # ------------------------------------------------------------------ arrays
    def save_array(self, path: Path, array: np.ndarray) -> None:
        """Atomically write a ``.npy`` file."""
        save_npy(path, array)

    def load_array(self, path: Path) -> np.ndarray | None:
        """Read a ``.npy`` file of the run without pickle (``None`` if missing)."""
        return load_npy(
            path,
            what="an array of the ib run",
            fix=f"delete it (it is recomputed), or pass another {_OPTION}",
        )
