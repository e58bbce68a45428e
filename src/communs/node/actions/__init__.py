"""The actions people take: on a commons and its contributions and forks (``commons``),
governance (``governing``), the task board (``taskops``), discussion (``threadops``),
three-way merges, export and import (``archive``), and the demo. Each signs through
``Home.emit``, the write path for local actions.

May import the write path, the home, files and reads; never the peers.
"""
