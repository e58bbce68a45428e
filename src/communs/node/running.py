"""What ``communs serve`` starts, stops and wires around the Service's operations: background
rounds, the address peers reach, peers found on the LAN, the API token, and the torrents of
files. The server and the CLI go through these rather than through the node's parts."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .files.blobs import blob_hash
from .home.lock import ensure_token


class Running:
    """Mixed into ``Service`` (which provides ``home``, ``local`` and ``replicator``)."""

    def start_rounds(self) -> None:
        """Background rounds: pulls from peers and pushes to them, until ``stop_rounds``."""
        self.replicator.start()

    def stop_rounds(self) -> None:
        self.replicator.stop()

    def closing(self) -> None:
        """The node is stopping: background jobs and live streams end now."""
        self.replicator.closing()

    def serving_at(self, url: str) -> None:
        """The address peers reach this node at, given in links and to peers."""
        self.replicator.own_url = url

    @property
    def peer_side(self) -> Any:
        """What the sync endpoints answer peers with (the node's replicator)."""
        return self.replicator

    def lan_peer(self, url: str) -> None:
        """A node found on the local network: a peer to sync with."""
        self.local.add_lan_peer(url)

    def api_token(self) -> str:
        return ensure_token(self.home.path)

    def spool_dir(self) -> Path:
        """Where uploads and exports are spooled: on the disk of the blobs, so an upload
        becomes its blob by a rename (``blob_take``)."""
        return self.home.blobs.root / "tmp"

    def blob_take(self, spooled: Path, name: str | None = None) -> Any:
        """The file ``spooled`` (in ``spool_dir``) moved in as a blob; its ``BlobInfo``."""
        return self.home.blobs.take(spooled, name)

    def blob_size(self, blob: str) -> int:
        return self.home.blobs.size(blob_hash(blob))

    def torrent(
        self,
        blob: str,
        *,
        name: str | None = None,
        web_seed: str | None,
        tracker: str | None,
        progress: Callable[[int, int], None] | None = None,
    ) -> bytes:
        """The torrent of a file of this node (made once, then read from its cache)."""
        from .files import torrents  # libtorrent loads only for the operations that need it

        return torrents.torrent_for(
            self.home,
            blob_hash(blob),
            name=name,
            web_seed=web_seed,
            tracker=tracker,
            progress=progress,
        )
