"""Append-only result tables (CSV) of a run folder.

A table is a CSV file with a fixed header. Rows are only ever appended, each write
flushed and fsync-ed, so everything computed before a crash is on disk and nothing
written earlier is rewritten. Opening a table checks all of it:

* a last line without its newline is the trace of a write cut short by a crash; it is
  cut off (the row is recomputed on resume), so the next append starts on a clean line;
* any other damage (a wrong header, a row with the wrong number of fields or a value
  of the wrong type, bytes that are not UTF-8) is refused with a one-line
  :class:`~pymi.runs.errors.RunFileError` that names the file and the line: the
  history in the file is never overwritten.

When a row is computed again (a resumed run redoing work its last session did not
finish), the new row is appended and :meth:`Table.read` returns the last row per key.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .errors import RunFileError

__all__ = ["Table", "format_cell"]


def format_cell(value: Any) -> str:
    """One CSV cell: ``""`` for None and NaN, ``repr`` for floats (exact round trip), else ``str``."""
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


def _float(text: str) -> float:
    return float(text) if text != "" else math.nan


_PARSERS: dict[type, Callable[[str], Any]] = {int: int, float: _float, str: str}


class Table:
    """One append-only CSV table of a run folder.

    Parameters
    ----------
    path : str or path-like
        The CSV file (created with its header on :meth:`open` when missing or empty).
    columns : mapping of str to type
        Column names in order and their types (``int``, ``float`` -- empty cells are
        NaN -- or ``str``).
    key : sequence of str, optional
        Columns that identify a row: :meth:`read` keeps the last row per key. Default:
        every row is kept.
    legacy_headers : sequence of tuples of str, optional
        Older headers that are still read and appended to in their own columns
        (columns missing from them read as empty).
    what : str
        What the table holds, for messages (e.g. ``"pymi bench results"``).
    fix : str
        What to do with a damaged file (e.g. ``"pass a new --out"``).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        columns: Mapping[str, type],
        *,
        key: Sequence[str] | None = None,
        legacy_headers: Sequence[tuple[str, ...]] = (),
        what: str = "a pymi result table",
        fix: str = "move the file away or use a new run folder",
    ) -> None:
        self.path = Path(path)
        self.columns = dict(columns)
        self.fields: tuple[str, ...] = tuple(self.columns)
        self.key = tuple(key) if key is not None else None
        self.legacy_headers = tuple(tuple(h) for h in legacy_headers)
        self.what = what
        self.fix = fix
        self._header: tuple[str, ...] | None = None

    # ------------------------------------------------------------------ reading
    def _error(self, where: str, problem: str) -> RunFileError:
        return RunFileError(f"{str(self.path)!r}{where} ({self.what}): {problem}; {self.fix}")

    def _load(self, *, repair: bool) -> tuple[tuple[str, ...] | None, list[dict[str, Any]]]:
        if self.path.is_dir():
            where, problem = "", "is a folder, not a file"
            raise self._error(where, problem)
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None, []
        except OSError as err:
            where, problem = "", f"cannot be read ({err.strerror or err})"
            raise self._error(where, problem) from None
        cut = len(data)
        if data and not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1  # the torn tail of an interrupted write
            if repair:
                with open(self.path, "r+b") as fh:
                    fh.truncate(cut)
                    fh.flush()
                    os.fsync(fh.fileno())
        try:
            text = data[:cut].decode("utf-8")
        except UnicodeDecodeError as err:
            line = data[: err.start].count(b"\n") + 1
            where, problem = f", line {line}", "is not UTF-8 text"
            raise self._error(where, problem) from None
        if not text:
            return None, []
        lines = csv.reader(io.StringIO(text, newline=""))
        header = tuple(next(lines))
        if header != self.fields and header not in self.legacy_headers:
            where = ", line 1"
            problem = f"header must be {','.join(self.fields)}; found {','.join(header)[:200]}"
            raise self._error(where, problem)
        rows = []
        for lineno, cells in enumerate(lines, start=2):
            if len(cells) != len(header):
                where = f", line {lineno}"
                problem = (
                    f"{len(cells)} fields instead of {len(header)} (only the last line of a "
                    f"table may be incomplete)"
                )
                raise self._error(where, problem)
            row: dict[str, Any] = dict.fromkeys(self.fields, "")
            row.update(zip(header, cells, strict=True))
            for col, typ in self.columns.items():
                try:
                    row[col] = _PARSERS[typ](row[col])
                except ValueError:
                    where = f", line {lineno}"
                    problem = f"column {col} must be {typ.__name__}; found {row[col][:40]!r}"
                    raise self._error(where, problem) from None
            rows.append(row)
        return header, rows

    def open(self) -> Table:
        """Check the file, cut a torn last line, create it with its header if missing or empty.

        Returns
        -------
        Table
            ``self``, ready for :meth:`append`.

        Raises
        ------
        RunFileError
            If the file is damaged anywhere but in its last line.
        """
        header, _ = self._load(repair=True)
        if header is None:
            with open(self.path, "w", encoding="utf-8", newline="") as fh:
                csv.writer(fh, lineterminator="\n").writerow(self.fields)
                fh.flush()
                os.fsync(fh.fileno())
            header = self.fields
        self._header = header
        return self

    def read(self) -> list[dict[str, Any]]:
        """All rows, typed; the last row per key (a torn last line is skipped, not cut)."""
        _, rows = self._load(repair=False)
        if self.key is None:
            return rows
        latest: dict[tuple[Any, ...], dict[str, Any]] = {}
        for row in rows:
            k = tuple(row[c] for c in self.key)
            latest.pop(k, None)
            latest[k] = row
        return list(latest.values())

    # ------------------------------------------------------------------ writing
    def append(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Append ``rows`` (missing columns empty) in one write, then flush and fsync.

        Returns
        -------
        int
            The number of rows written.
        """
        if self._header is None:
            self.open()
        assert self._header is not None
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        n = 0
        for row in rows:
            writer.writerow([format_cell(row.get(c)) for c in self._header])
            n += 1
        if n:
            with open(self.path, "a", encoding="utf-8", newline="") as fh:
                fh.write(buf.getvalue())
                fh.flush()
                os.fsync(fh.fileno())
        return n
