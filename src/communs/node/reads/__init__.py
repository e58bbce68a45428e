"""Reads for people and programs: JSON-ready views of a commons (``queries``), one line per
event (``describe``), a commons' health and what a person did.

May import the core, the domain, the store, the home and files.
"""
