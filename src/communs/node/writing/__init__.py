"""The one write path: checking events (in a helper process for big inputs), storing them
and folding them into the records, with undo data so that a late event rewinds only its tail.

Owns ``ingest`` (verify → store → order → authorize → apply), ``folding`` and ``verifier``.
May import the core, the domain and the store; nothing else of the node.
"""
