"""The change log of the embedded register: data/changes.jsonl, one JSON object per changed row.

Outside the schema's files, so the loader and validator never read it. Each entry:

    {"change": id of the save (every row of one entry shares it), "when": UTC ISO time, "who": name,
     "file": "activities.csv", "key": "A10", "action": "add" | "edit", "before": row or null, "after": row,
     "check": the row's check report (activities) or null, "forced": bool,
     "sha256_before": the file's hash before the save, "sha256_after": after it}

and, when a save was interrupted after its entries were written but before the file was replaced,

    {"change": id, "when": ..., "who": "register", "action": "abort", "file": ..., "note": ...}

written by the next save (recover()): replay() skips aborted changes. Rows are the CSV cells as strings keyed
by the file's header. The log is appended and fsynced BEFORE the data file is replaced, so every change that
reached a data file is in the log.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from . import csvfile

LOG_NAME = "changes.jsonl"


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def log_path(data_dir: Path) -> Path:
    return Path(data_dir) / LOG_NAME


def read_log(data_dir: Path | str) -> list[dict]:
    """Every entry of the log, in order ([] when there is none). A torn last line (a writer killed while
    appending) is ignored: its change never reached the data file, since the file is replaced after."""
    p = log_path(Path(data_dir))
    if not p.exists():
        return []
    out = []
    for line in p.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def append(data_dir: Path, entries: list[dict]) -> None:
    """Append entries as JSON lines and fsync (a torn previous tail is ended first)."""
    p = log_path(Path(data_dir))
    text = "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in entries)
    fresh = not p.exists()
    with open(p, "ab") as f:
        if f.tell() > 0:
            with open(p, "rb") as r:
                r.seek(-1, os.SEEK_END)
                if r.read(1) != b"\n":
                    f.write(b"\n")
        f.write(text.encode("utf-8"))
        f.flush()
        os.fsync(f.fileno())
    if fresh:
        csvfile.fsync_dir(p.parent)


def aborted(entries: list[dict]) -> set:
    return {e["change"] for e in entries if e.get("action") == "abort"}


def applied(entries: list[dict]) -> list[dict]:
    """The row entries of changes that were not aborted, in order."""
    gone = aborted(entries)
    return [e for e in entries if e.get("action") in ("add", "edit") and e["change"] not in gone]


def recover(data_dir: Path) -> list[str]:
    """Mark the last change aborted when its file still holds the bytes it had before that change (the writer
    was killed between writing the log and replacing the file). Returns the aborted change ids."""
    entries = read_log(data_dir)
    rows = [e for e in entries if e.get("action") in ("add", "edit")]
    if not rows:
        return []
    last = rows[-1]["change"]
    if last in aborted(entries):
        return []
    mine = [e for e in rows if e["change"] == last]
    path = Path(data_dir) / mine[0]["file"]
    current = csvfile.sha256(path.read_bytes()) if path.exists() else None
    if current == mine[0]["sha256_after"] or current != mine[0]["sha256_before"]:
        return []  # it landed (or the file was edited by hand since: nothing to say about it)
    append(
        Path(data_dir),
        [
            {
                "change": last,
                "when": now_utc(),
                "who": "register",
                "action": "abort",
                "file": mine[0]["file"],
                "note": "the save was interrupted before the file was replaced; the file kept its previous content",
            }
        ],
    )
    return [last]


def versions(entries: list[dict], filename: str) -> dict[str, dict]:
    """key → {"version": number of saved changes of the row, "changed_by", "changed_at"} from the log."""
    out: dict[str, dict] = {}
    for e in applied(entries):
        if e["file"] == filename:
            v = out.get(e["key"], {"version": 0})["version"] + 1
            out[e["key"]] = {"version": v, "changed_by": e["who"], "changed_at": e["when"]}
    return out


class ReplayError(Exception):
    """The log does not apply to the starting files (a row was edited by hand in between)."""


def replay(start_dir: Path | str, entries: list[dict], out_dir: Path | str, schema=None) -> Path:
    """Copy the schema's files of start_dir into out_dir (created) and apply every change of the log in order
    (aborted ones skipped), checking each row's `before`. The result equals the current register when every
    change since start_dir went through the register."""
    import shutil

    from ..schema import load_schema

    schema = schema or load_schema()
    start, out = Path(start_dir), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in schema.files():
        if (start / name).exists():
            shutil.copyfile(start / name, out / name)
    docs: dict[str, csvfile.CsvText] = {}
    for e in applied(entries):
        name = e["file"]
        doc = docs.get(name) or csvfile.parse((out / name).read_text(encoding="utf-8"))
        docs[name] = doc
        key_col = schema.node_for_file(name).key
        pos = doc.index(key_col).get(e["key"])
        if e["action"] == "edit":
            if pos is None or doc.row(pos) != e["before"]:
                raise ReplayError(f"{name}: {e['key']}: the row before change {e['change']} is not the one logged")
        elif pos is not None:
            raise ReplayError(f"{name}: {e['key']}: added by change {e['change']} but already present")
        csvfile.apply(doc, key_col, e["action"], e["after"])
    for name, doc in docs.items():
        (out / name).write_bytes(doc.text().encode("utf-8"))
    return out
