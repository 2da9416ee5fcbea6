"""The person's saved drawings, in one SQLite file.

    store = DrawingStore()                 # $DIGITS_DB, else data/drawings.db
    id = store.save("local", NewDrawing(label=7, input_png=..., image28_png=..., ...))
    store.drawings("local", label=7)       # [Drawing, ...], newest first

Every query names the profile, so one person's drawings are never read,
changed or deleted through another's. SQL is parameterised throughout: labels
and profile names are data. Each save is one transaction, the journal is WAL
(readers never wait for a writer) and a busy timeout lets concurrent writers
take turns instead of failing. Images are PNG blobs; nothing is pickled.
Failures become StoreError with a sentence a person can act on.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import pathlib
import sqlite3
from dataclasses import dataclass, field

ENV_VAR = "DIGITS_DB"
DEFAULT_PATH = pathlib.Path("data") / "drawings.db"
BUSY_TIMEOUT_MS = 10_000
#: Label stored for a drawing the person says is not a digit.
NOT_A_DIGIT = -1
LABELS = (*range(10), NOT_A_DIGIT)
SOURCES = ("canvas", "upload", "import")
MAX_PROFILE_LENGTH = 200

#: Schema migrations, in order; PRAGMA user_version counts those applied.
MIGRATIONS = (
    """
    CREATE TABLE drawings (
        id           INTEGER PRIMARY KEY,
        profile      TEXT    NOT NULL,
        label        INTEGER NOT NULL CHECK (label BETWEEN -1 AND 9),
        source       TEXT    NOT NULL,
        input_png    BLOB    NOT NULL,
        image28_png  BLOB    NOT NULL,
        strokes      TEXT,
        predictions  TEXT    NOT NULL DEFAULT '{}',
        weights      TEXT    NOT NULL DEFAULT '{}',
        stroke_width INTEGER,
        created      TEXT    NOT NULL
    );
    """,
    # v2: "the model got it wrong" is kept per row, so the gallery filters without decoding JSON.
    """
    ALTER TABLE drawings ADD COLUMN model_was_right INTEGER;
    CREATE INDEX drawings_by_profile ON drawings (profile, label, id);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(RuntimeError):
    """The drawings file cannot be read or written; the message says why and what to do."""


def default_db_path() -> pathlib.Path:
    """$DIGITS_DB if set, else data/drawings.db (relative to the working folder)."""
    return pathlib.Path(os.environ.get(ENV_VAR) or DEFAULT_PATH)


def check_profile(profile: str) -> str:
    if not isinstance(profile, str) or not profile.strip() or len(profile) > MAX_PROFILE_LENGTH:
        raise ValueError(f"A profile is a name of 1 to {MAX_PROFILE_LENGTH} characters.")
    return profile


def check_label(label) -> int:
    if isinstance(label, bool) or not isinstance(label, int) or label not in LABELS:
        raise ValueError(f"A label is a digit 0-9 or {NOT_A_DIGIT} (not a digit), not {label!r}.")
    return label


def profile_key(profile: str) -> str:
    """A file-name-safe key for a profile: the profile name never becomes a path."""
    return hashlib.sha256(check_profile(profile).encode()).hexdigest()[:24]


@dataclass(frozen=True)
class NewDrawing:
    """What is saved for one drawing. predictions: {arch: [[digit, probability], ...top 3]};
    weights: {arch: {"file": name, "sha256": checksum}}; strokes: the canvas's json_data."""

    label: int
    input_png: bytes
    image28_png: bytes
    source: str = "canvas"
    strokes: dict | list | None = None
    predictions: dict = field(default_factory=dict)
    weights: dict = field(default_factory=dict)
    stroke_width: int | None = None
    created: str | None = None  # ISO time; now when None


@dataclass(frozen=True)
class Drawing:
    id: int
    label: int
    source: str
    input_png: bytes
    image28_png: bytes
    strokes: dict | list | None
    predictions: dict
    weights: dict
    stroke_width: int | None
    created: str
    model_was_right: bool | None

    @property
    def predicted(self) -> int | None:
        """The first model's top answer when it was saved (None if no model answered)."""
        for ranked in self.predictions.values():
            if ranked:
                return int(ranked[0][0])
        return None


def model_was_right(label: int, predictions: dict) -> bool | None:
    """Whether every model that answered had `label` on top (None when none answered)."""
    tops = [int(r[0][0]) for r in predictions.values() if r]
    return all(t == label for t in tops) if tops else None


def _explain(path: pathlib.Path, error: sqlite3.Error) -> StoreError:
    text = str(error).lower()
    if "readonly" in text or "read-only" in text:
        why = f"The drawings file {path} is read-only, so nothing can be saved. Make it writable or set {ENV_VAR} to another file."
    elif "disk is full" in text or "full" in text:
        why = f"The disk holding {path} is full, so the drawing was not saved. Free some space and try again."
    elif "not a database" in text or "malformed" in text or "corrupt" in text:
        why = (f"The drawings file {path} is damaged (not a readable SQLite database). Move it aside to keep it, "
               f"and a new one will be started.")
    elif "locked" in text or "busy" in text:
        why = f"The drawings file {path} is busy in another program; try again in a moment."
    elif "unable to open" in text:
        why = f"The drawings file {path} cannot be opened: check that its folder exists and is writable."
    else:
        why = f"The drawings file {path} could not be used ({error})."
    return StoreError(why)


_COLUMNS = ("id, label, source, input_png, image28_png, strokes, predictions, weights, stroke_width, created, "
            "model_was_right")


def _row_to_drawing(row) -> Drawing:
    (id_, label, source, input_png, image28_png, strokes, predictions, weights, stroke_width, created, right) = row
    return Drawing(id_, label, source, bytes(input_png), bytes(image28_png),
                   json.loads(strokes) if strokes else None, json.loads(predictions), json.loads(weights),
                   stroke_width, created, None if right is None else bool(right))


class DrawingStore:
    """One SQLite file of drawings. Safe to share between threads: each call opens its own connection."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = pathlib.Path(path) if path else default_db_path()

    # -- connection and schema ------------------------------------------------------------------
    @contextlib.contextmanager
    def _connect(self, write: bool = False):
        """A connection with the schema up to date; one transaction, committed on success."""
        try:
            if write or not self.path.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"The folder for the drawings file {self.path} cannot be created ({e.strerror}).") from e
        try:
            con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as e:
            raise _explain(self.path, e) from e
        try:
            con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # Checked on every connection (it is one read): the file may have been replaced meanwhile.
            if con.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                self._migrate(con)
            con.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        except sqlite3.Error as e:
            raise _explain(self.path, e) from e
        finally:
            con.close()

    def _migrate(self, con: sqlite3.Connection) -> None:
        con.execute("PRAGMA journal_mode = WAL")  # a read-only file keeps its mode; reading still works
        version = con.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(f"The drawings file {self.path} was written by a newer version of this app "
                             f"(schema {version}, this one knows {SCHEMA_VERSION}).")
        for number in range(version, SCHEMA_VERSION):
            con.execute("BEGIN IMMEDIATE")
            try:  # re-read inside the lock: another process may have just migrated
                if con.execute("PRAGMA user_version").fetchone()[0] == number:
                    for statement in filter(str.strip, MIGRATIONS[number].split(";")):
                        con.execute(statement)
                    con.execute(f"PRAGMA user_version = {number + 1}")
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    def check(self) -> None:
        """Raise StoreError unless the file opens, has a known schema and passes integrity_check."""
        with self._connect() as con:
            result = con.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise StoreError(f"The drawings file {self.path} is damaged ({result}). Move it aside to keep it.")

    # -- writing ---------------------------------------------------------------------------------
    def save(self, profile: str, drawing: NewDrawing) -> int:
        """Store one drawing for `profile` in one transaction; its new id."""
        return self.save_many(profile, [drawing])[0]

    def save_many(self, profile: str, drawings: list[NewDrawing]) -> list[int]:
        """Store all of `drawings`, or none of them (one transaction)."""
        check_profile(profile)
        rows = []
        for d in drawings:
            check_label(d.label)
            if d.source not in SOURCES:
                raise ValueError(f"source must be one of {SOURCES}, not {d.source!r}.")
            if not (isinstance(d.input_png, bytes) and isinstance(d.image28_png, bytes)):
                raise ValueError("Images are saved as PNG bytes.")
            right = model_was_right(d.label, d.predictions)
            rows.append((profile, d.label, d.source, d.input_png, d.image28_png,
                         None if d.strokes is None else json.dumps(d.strokes), json.dumps(d.predictions),
                         json.dumps(d.weights), d.stroke_width,
                         d.created or datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                         None if right is None else int(right)))
        with self._connect(write=True) as con:
            ids = []
            for row in rows:
                cur = con.execute(
                    "INSERT INTO drawings (profile, label, source, input_png, image28_png, strokes, predictions, "
                    "weights, stroke_width, created, model_was_right) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
                ids.append(int(cur.lastrowid))
        return ids

    def relabel(self, profile: str, drawing_id: int, label: int) -> bool:
        """Change a drawing's label; False if `profile` has no such drawing."""
        check_label(label)
        with self._connect(write=True) as con:
            row = con.execute("SELECT predictions FROM drawings WHERE id = ? AND profile = ?",
                              (int(drawing_id), check_profile(profile))).fetchone()
            if row is None:
                return False
            right = model_was_right(label, json.loads(row[0]))
            con.execute("UPDATE drawings SET label = ?, model_was_right = ? WHERE id = ? AND profile = ?",
                        (label, None if right is None else int(right), int(drawing_id), profile))
        return True

    def delete(self, profile: str, drawing_id: int) -> bool:
        """Delete one of `profile`'s drawings; False if it has no such drawing."""
        with self._connect(write=True) as con:
            cur = con.execute("DELETE FROM drawings WHERE id = ? AND profile = ?", (int(drawing_id), check_profile(profile)))
        return cur.rowcount == 1

    def delete_all(self, profile: str) -> int:
        """Delete every drawing of `profile`; how many there were."""
        with self._connect(write=True) as con:
            cur = con.execute("DELETE FROM drawings WHERE profile = ?", (check_profile(profile),))
        return cur.rowcount

    # -- reading ---------------------------------------------------------------------------------
    def get(self, profile: str, drawing_id: int) -> Drawing | None:
        with self._connect() as con:
            row = con.execute(f"SELECT {_COLUMNS} FROM drawings WHERE id = ? AND profile = ?",
                              (int(drawing_id), check_profile(profile))).fetchone()
        return None if row is None else _row_to_drawing(row)

    def drawings(self, profile: str, label: int | None = None, wrong_only: bool = False,
                 limit: int | None = None) -> list[Drawing]:
        """`profile`'s drawings, newest first; only those of `label`, or only those a model got wrong."""
        sql, params = f"SELECT {_COLUMNS} FROM drawings WHERE profile = ?", [check_profile(profile)]
        if label is not None:
            sql += " AND label = ?"
            params.append(check_label(label))
        if wrong_only:
            sql += " AND model_was_right = 0"
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        with self._connect() as con:
            return [_row_to_drawing(r) for r in con.execute(sql, params)]

    def counts(self, profile: str) -> dict[int, int]:
        """{label: number of drawings} for every label of LABELS (0 where none)."""
        with self._connect() as con:
            found = dict(con.execute("SELECT label, COUNT(*) FROM drawings WHERE profile = ? GROUP BY label",
                                     (check_profile(profile),)).fetchall())
        return {label: int(found.get(label, 0)) for label in LABELS}

    def digit_labels(self, profile: str) -> list[tuple[int, int]]:
        """(id, label) of `profile`'s drawings of digits (not "not a digit"), oldest first: no images read."""
        with self._connect() as con:
            return [(int(i), int(label)) for i, label in con.execute(
                "SELECT id, label FROM drawings WHERE profile = ? AND label BETWEEN 0 AND 9 ORDER BY id",
                (check_profile(profile),))]

    def model_path(self, profile: str, arch: str) -> pathlib.Path:
        """Where `profile`'s fine-tuned `arch` weights live: beside the drawings file, under a hash of the profile."""
        if arch not in ("cnn", "mlp"):
            raise ValueError(f"Unknown architecture {arch!r}.")
        return self.path.parent / "models" / profile_key(profile) / f"{arch}.pt"

    def count(self, profile: str) -> int:
        return sum(self.counts(profile).values())
