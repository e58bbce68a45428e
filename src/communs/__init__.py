"""Communs: peer production of commons, peer to peer."""

__version__ = "0.1.0"
