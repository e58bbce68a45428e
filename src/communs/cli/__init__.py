"""The ``communs`` command: thin faces over the node's actions and queries."""
