"""Persistence of events and of the folded state (read models), behind one small interface."""

from .base import EventRow, Store
from .sqlite import SQLiteStore

__all__ = ["EventRow", "SQLiteStore", "Store"]
