"""Persistence of events and of the folded state (read models), behind one small interface."""

from .base import EventRow, Store, Summary, summary_of
from .sqlite import SQLiteStore

__all__ = ["EventRow", "SQLiteStore", "Store", "Summary", "summary_of"]
