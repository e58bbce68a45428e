"""The home on disk: one node's folder (``folder.Home``: its event database, files and keys),
its identities (``keyring``), the lock that keeps one node per home and the API token
(``lock``), and ``shared.Shared``: the home, its writers' lock and its local state (kept in
``store.local``), handed to every part of a running node as one object.

May import the core, the domain, the store, the write path and ``files`` (a home holds its
files); never the peers, the actions or the reads.
"""
