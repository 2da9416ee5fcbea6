"""The drawings store: profiles kept apart, migrations, concurrent writers, crashes, damaged files, hostile zips."""

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile

import numpy as np
import pytest
from conftest import ROOT, draw_digit
from PIL import Image

from store import ArchiveError, DrawingStore, NewDrawing, StoreError, encode_png, export_zip, import_zip, read_zip
from store import db as store_db


def drawing(label=7, predicted=7, digit="7") -> NewDrawing:
    image = draw_digit(digit)
    return NewDrawing(label=label, input_png=encode_png(image), image28_png=encode_png(image[::10, ::10]),
                      strokes={"objects": [{"type": "path", "path": [["M", 1, 2], ["L", 3, 4]]}]},
                      predictions={"cnn": [[predicted, 0.9], [1, 0.05], [2, 0.01]]},
                      weights={"cnn": {"file": "cnn.pt", "sha256": "ab" * 32}}, stroke_width=18)


@pytest.fixture
def store(tmp_path):
    return DrawingStore(tmp_path / "drawings.db")


def test_a_saved_drawing_reads_back_whole(store):
    new = drawing(label=1, predicted=7, digit="1")
    i = store.save("local", new)
    got = store.get("local", i)
    assert (got.label, got.source, got.stroke_width, got.strokes, got.predictions, got.weights) == (
        1, "canvas", 18, new.strokes, new.predictions, new.weights)
    assert got.input_png == new.input_png and got.image28_png == new.image28_png
    assert got.predicted == 7 and got.model_was_right is False and got.created.endswith("+00:00")
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(got.input_png))), draw_digit("1"))
    assert store.counts("local")[1] == 1 and store.count("local") == 1


def test_filters_relabel_and_delete(store):
    right, wrong, other = (store.save("local", drawing(7, 7)), store.save("local", drawing(1, 7)),
                           store.save("local", drawing(-1, 3)))
    assert [d.id for d in store.drawings("local")] == [other, wrong, right]  # newest first
    assert [d.id for d in store.drawings("local", label=7)] == [right]
    assert [d.id for d in store.drawings("local", wrong_only=True)] == [other, wrong]
    assert store.relabel("local", wrong, 7) and store.get("local", wrong).model_was_right is True
    assert [d.id for d in store.drawings("local", wrong_only=True)] == [other]
    assert store.delete("local", right) and store.get("local", right) is None
    assert not store.delete("local", right)
    assert store.counts("local") == {**{d: 0 for d in range(10)}, 7: 1, -1: 1}
    assert store.digit_labels("local") == [(wrong, 7)]  # "not a digit" is no digit


def test_one_profile_never_reaches_another(store):
    mine = store.save("alice", drawing())
    assert store.get("bob", mine) is None and store.drawings("bob") == [] and store.digit_labels("bob") == []
    assert not store.relabel("bob", mine, 3) and not store.delete("bob", mine)
    assert store.delete_all("bob") == 0
    assert store.get("alice", mine).label == 7
    with zipfile.ZipFile(io.BytesIO(export_zip(store, "bob"))) as zf:
        assert zf.namelist() == ["drawings.json"]
    assert store.model_path("alice", "cnn") != store.model_path("bob", "cnn")


@pytest.mark.parametrize("profile", ["x'; DROP TABLE drawings; --", "../../etc/passwd", "名前 with spaces", "%"])
def test_profile_names_are_data_not_sql_or_paths(store, profile):
    i = store.save(profile, drawing())
    assert store.get(profile, i).label == 7 and store.count("local") == 0
    assert store.drawings(profile)[0].id == i
    path = store.model_path(profile, "cnn")
    assert path.parent.parent == store.path.parent / "models" and path.parent.name.isalnum()


@pytest.mark.parametrize("label", ["1 OR 1=1", 10, -2, 1.0, True, None])
def test_labels_must_be_a_digit_or_not_a_digit(store, label):
    with pytest.raises(ValueError, match="label"):
        store.save("local", NewDrawing(**{**drawing().__dict__, "label": label}))
    assert store.count("local") == 0


def test_old_schema_is_migrated_keeping_rows(tmp_path):
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.executescript(store_db.MIGRATIONS[0])
    con.execute("INSERT INTO drawings (profile, label, source, input_png, image28_png, created) VALUES "
                "('local', 3, 'upload', x'89', x'89', '2026-01-01T00:00:00+00:00')")
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    store = DrawingStore(path)
    assert [d.label for d in store.drawings("local")] == [3]
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == store_db.SCHEMA_VERSION
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert "model_was_right" in [r[1] for r in con.execute("PRAGMA table_info(drawings)")]


def test_a_newer_schema_is_refused_with_a_sentence(tmp_path):
    path = tmp_path / "new.db"
    sqlite3.connect(path).execute("PRAGMA user_version = 99").connection.close()
    with pytest.raises(StoreError, match="newer version"):
        DrawingStore(path).count("local")


SAVER = """
import sys
sys.path.insert(0, {root!r})
from store import DrawingStore, NewDrawing
store = DrawingStore({path!r})
png = bytes.fromhex({png!r})
for i in range({n}):
    new_id = store.save({profile!r}, NewDrawing(label=i % 10, input_png=png, image28_png=png, source="upload"))
    print(new_id, flush=True)
"""


def saver(path, n, profile="local") -> list[str]:
    png = encode_png(draw_digit("7", size=56, stroke=4)).hex()
    return [sys.executable, "-c", SAVER.format(root=str(ROOT), path=str(path), png=png, n=n, profile=profile)]


def test_two_threads_and_a_process_saving_at_once_lose_nothing(store):
    store.count("local")  # the schema exists before the writers race
    process = subprocess.Popen(saver(store.path, 500, "process"), stdout=subprocess.DEVNULL)
    errors = []

    def save_500(profile):
        mine = DrawingStore(store.path)
        try:
            for i in range(500):
                mine.save(profile, NewDrawing(label=i % 10, input_png=b"\x89PNG-a", image28_png=b"\x89PNG-b"))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=save_500, args=(f"thread-{k}",)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert process.wait(timeout=120) == 0 and not errors
    assert sum(store.count(p) for p in ("thread-0", "thread-1", "process")) == 1500
    for p in ("thread-0", "thread-1", "process"):
        rows = store.drawings(p)
        assert len(rows) == 500 and sorted(d.label for d in rows) == sorted(i % 10 for i in range(500))
    con = sqlite3.connect(store.path)
    assert con.execute("SELECT COUNT(*) FROM drawings").fetchone()[0] == 1500


def test_a_process_killed_mid_save_leaves_a_sound_file(store):
    store.count("local")
    proc = subprocess.Popen(saver(store.path, 10**6), stdout=subprocess.PIPE, text=True)
    printed = [proc.stdout.readline() for _ in range(50)]  # well into the save loop
    time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert all(line.strip().isdigit() for line in printed)
    con = sqlite3.connect(store.path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = con.execute("SELECT id, label, source, input_png, image28_png, created FROM drawings").fetchall()
    assert len(rows) >= 50
    for row in rows:  # every row whole: a save is one transaction
        assert None not in row and row[3][:8] == b"\x89PNG\r\n\x1a\n"
        Image.open(io.BytesIO(row[3])).load()
    store.check()


def test_a_damaged_file_gives_a_sentence(tmp_path):
    path = tmp_path / "drawings.db"
    path.write_bytes(b"this is not a database, just text" * 100)
    with pytest.raises(StoreError, match="damaged"):
        DrawingStore(path).save("local", drawing())
    assert path.read_bytes().startswith(b"this is not")  # left as it was, for the person to keep


def _connect_with(monkeypatch, setup):
    real = sqlite3.connect

    def connect(path, *args, **kwargs):
        con = setup(real, path, *args, **kwargs)
        return con

    monkeypatch.setattr(store_db.sqlite3, "connect", connect)


def test_a_read_only_file_gives_a_sentence_and_still_reads(store, monkeypatch):
    i = store.save("local", drawing())
    # chmod cannot stop root, who runs CI: open the file read-only as SQLite would for a read-only file.
    _connect_with(monkeypatch, lambda real, path, *a, **k: real(f"file:{path}?mode=ro", *a, uri=True, **k))
    read_only = DrawingStore(store.path)
    assert read_only.get("local", i).label == 7
    with pytest.raises(StoreError, match="read-only"):
        read_only.save("local", drawing())


def test_a_full_disk_gives_a_sentence_and_saves_nothing(store, monkeypatch):
    store.save("local", drawing())

    def tiny(real, path, *a, **k):
        con = real(path, *a, **k)
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        con.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "database or disk is full"
        return con

    _connect_with(monkeypatch, tiny)
    with pytest.raises(StoreError, match="full"):
        DrawingStore(store.path).save_many("local", [drawing()] * 20)
    monkeypatch.undo()
    assert store.count("local") == 1


# -- zips ------------------------------------------------------------------------------------------
def make_zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def prepare(image):
    from preprocessing import preprocess

    return preprocess(image).image


def test_export_then_import_gives_the_same_drawings(store, tmp_path):
    ids = [store.save("local", drawing(7, 7)), store.save("local", drawing(1, 7, "1")), store.save("local", drawing(-1, 4, "0"))]
    data = export_zip(store, "local")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sorted(zf.namelist()) == sorted(["7/1.png", "1/2.png", "not-a-digit/3.png", "drawings.json"])
        manifest = json.loads(zf.read("drawings.json"))
        zf.extractall(tmp_path / "unzipped")
    assert [e["label"] for e in manifest["drawings"]] == [7, 1, -1] and manifest["drawings"][0]["strokes"]
    assert import_zip(store, "copy", data, prepare) == 3
    original, copy = store.drawings("local"), store.drawings("copy")
    assert [(d.label, d.input_png, d.strokes, d.predictions, d.stroke_width) for d in original] == \
           [(d.label, d.input_png, d.strokes, d.predictions, d.stroke_width) for d in copy]
    assert len(ids) == 3
    # The unzipped export is what model.evaluate --images reads.
    from sources.user import image_folder

    assert [d for _, d in image_folder(tmp_path / "unzipped")] == [1, 7]


SEVEN = encode_png(draw_digit("7"))


@pytest.mark.parametrize("members, message", [
    ({"../7/evil.png": SEVEN}, "outside its folder"),
    ({"7/../../evil.png": SEVEN}, "outside its folder"),
    ({"/etc/7.png": SEVEN}, "absolute path"),
    ({"C:/7/x.png": SEVEN}, "absolute path"),
    ({"7\\x.png": SEVEN}, "absolute path"),
    ({"images/7.png": SEVEN}, "not laid out"),
    ({"12/x.png": SEVEN}, "not laid out"),
    ({"7/notes.txt": b"hello"}, "not laid out"),
    ({"7/x.png": b"this is not a png at all"}, "not an image"),
    ({"7/x.png": encode_png(np.zeros((10, 5000), np.uint8))}, "pixels a side"),
    ({"drawings.json": b'{"format": 1, "drawings": []}'}, "no drawings"),
    ({"7/x.png": SEVEN, "drawings.json": b"{}"}, "drawings.json should be"),
    ({"7/x.png": SEVEN, "drawings.json": b"{not json"}, "not valid JSON"),
    ({"7/x.png": SEVEN, "drawings.json": json.dumps({"drawings": [{"file": "7/x.png", "label": 3}]}).encode()}, "folder 7/"),
    ({"7/x.png": encode_png(np.full((50, 50), 255, np.uint8))}, "blank"),
])
def test_hostile_or_malformed_zips_are_refused_and_nothing_is_written(store, tmp_path, members, message):
    store.save("local", drawing())
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(ArchiveError, match=message):
        import_zip(store, "local", make_zip(members), prepare)
    assert store.count("local") == 1
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_a_zip_bomb_is_refused_before_inflating(store):
    bomb = make_zip({"7/a.png": SEVEN, "7/b.png": b"\0" * (11 * 2**20)})  # 11 MB of zeros: ~11 kB packed
    assert len(bomb) < 100_000
    with pytest.raises(ArchiveError, match="limit"):
        import_zip(store, "local", bomb, prepare)
    dense = make_zip({"7/a.png": SEVEN, "7/b.png": b"\0" * (5 * 2**20)})  # under the size limit, but 1000-fold
    with pytest.raises(ArchiveError, match="zip bomb"):
        import_zip(store, "local", dense, prepare)
    assert store.count("local") == 0


def test_a_member_that_lies_about_its_size_is_refused(store):
    data = bytearray(make_zip({"7/a.png": SEVEN}, zipfile.ZIP_STORED))
    # Shrink the declared size in the central directory: reading more than declared must be refused.
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.infolist()[0]
    central = data.rfind(b"PK\x01\x02")
    size_at = central + 24
    data[size_at:size_at + 4] = (info.file_size - 100).to_bytes(4, "little")
    with pytest.raises(ArchiveError):
        read_zip(bytes(data), prepare)


def test_not_a_zip_is_refused(store):
    with pytest.raises(ArchiveError, match="not a readable .zip"):
        import_zip(store, "local", b"PK\x03\x04 but then nothing", prepare)


def test_a_file_replaced_while_in_use_gets_its_schema_again(store):
    store.save("local", drawing())
    for suffix in ("", "-wal", "-shm"):
        store.path.with_name(store.path.name + suffix).unlink(missing_ok=True)
    assert store.count("local") == 0
    assert store.save("local", drawing()) == 1
