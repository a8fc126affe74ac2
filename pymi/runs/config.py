"""The stored configuration of a run folder, compared on every resume."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigMismatchError, RunFileError
from .files import _json_default, atomic_write_json, read_json

__all__ = ["config_diff", "ensure_config"]

_SHOWN = 8


def _plain(value: Any) -> Any:
    """JSON-loaded and in-memory values made comparable (tuples vs lists, numpy scalars)."""
    return json.loads(json.dumps(value, default=_json_default))


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


def config_diff(stored: Any, requested: Any, path: str = "") -> list[str]:
    """Differences between two configurations, one ``"key: stored A, requested B"`` each.

    Nested tables are compared key by key (``"estimators.wkl: added"``).
    """
    if isinstance(stored, dict) and isinstance(requested, dict):
        out = []
        for key in list(stored) + [k for k in requested if k not in stored]:
            sub = f"{path}.{key}" if path else str(key)
            if key not in stored:
                out.append(f"{sub}: added")
            elif key not in requested:
                out.append(f"{sub}: removed")
            else:
                out.extend(config_diff(stored[key], requested[key], sub))
        return out
    if stored != requested:
        return [f"{path}: stored {_show(stored)}, requested {_show(requested)}"]
    return []


def ensure_config(
    path: str | os.PathLike[str],
    config: Mapping[str, Any],
    *,
    option: str,
    compare: Iterable[str] | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> bool:
    """Write a new run's ``config.json``, or check a resumed run's against it.

    Parameters
    ----------
    path : str or path-like
        The run folder's ``config.json``.
    config : mapping
        The resolved configuration of this run (JSON-serialisable).
    option : str
        How the user passes another folder (``"--out"``, ``"--run-dir"``), for the message.
    compare : iterable of str, optional
        The keys that must match to resume (default: all); the file is rewritten with
        ``config`` so that the other keys (e.g. the number of epochs) follow the
        latest session.
    defaults : mapping, optional
        What a key missing from the stored file stands for (a run made before the
        key existed used its default).

    Returns
    -------
    bool
        True when the folder already held this run (resume), False for a new run.

    Raises
    ------
    ConfigMismatchError
        If the stored configuration differs in a compared key.
    RunFileError
        If ``config.json`` is damaged (not UTF-8, not JSON, not a table, a folder).
    """
    path = Path(path)
    fix = f"move it away, or pass a new folder ({option})"
    stored = read_json(path, what="the run's configuration", fix=fix)
    new = _plain(dict(config))
    if stored is None:
        atomic_write_json(path, new)
        return False
    if not isinstance(stored, dict):
        msg = f"{str(path)!r} (the run's configuration) holds a JSON {type(stored).__name__}, not a table; {fix}"
        raise RunFileError(msg)
    stored = {**{k: v for k, v in (defaults or {}).items() if k not in stored}, **stored}
    keys = list(new) if compare is None else list(compare)
    if compare is None:
        keys += [k for k in stored if k not in new]
    diffs = config_diff(
        _plain({k: stored[k] for k in keys if k in stored}),
        {k: new[k] for k in keys if k in new},
    )
    if diffs:
        shown = "; ".join(diffs[:_SHOWN])
        if len(diffs) > _SHOWN:
            shown += f"; ... ({len(diffs)} differences)"
        msg = (
            f"run folder {str(path.parent)!r} holds a run of a different configuration ({shown}); "
            f"resuming would mix two experiments: pass a new folder ({option}), or rerun with the "
            f"configuration stored in {str(path)!r} to resume that run"
        )
        raise ConfigMismatchError(msg)
    if compare is not None:
        atomic_write_json(path, new)
    return True
