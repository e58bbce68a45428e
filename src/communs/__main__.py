"""``python -m communs`` is the ``communs`` command."""

from .cli.main import main

main()
