"""Saved drawings: a person's corrections, kept in SQLite, exported and imported as .zip.

    from store import DrawingStore, NewDrawing
    store = DrawingStore()          # $DIGITS_DB, else data/drawings.db
    store.save("local", NewDrawing(label=1, input_png=png, image28_png=png28))

No Streamlit here: the app and the fine-tune CLI share it.
"""

from .archive import ArchiveError, encode_png, export_zip, import_zip, read_zip
from .db import (NOT_A_DIGIT, SCHEMA_VERSION, Drawing, DrawingStore, NewDrawing, StoreError, default_db_path,
                 profile_key)

__all__ = ["ArchiveError", "encode_png", "export_zip", "import_zip", "read_zip", "NOT_A_DIGIT", "SCHEMA_VERSION",
           "Drawing", "DrawingStore", "NewDrawing", "StoreError", "default_db_path", "profile_key"]
