"""The Service's operations on files: add, open, fetch from peers, policy and quota, and the
node's BitTorrent swarm when ``communs serve`` runs one."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any, BinaryIO

from ...core.errors import NotFound
from ...domain.refusals import code, fault
from .blobs import TORRENT_FROM, blob_hash
from .fetching import parse_size

NO_PEER_TO_ASK = code(
    "no_peer_to_ask",
    "file {blob} is not here and this node knows no peer: add one with 'communs peer add URL' "
    "or say where with --from URL",
)


class FileOps:
    """Mixed into ``Service`` (which provides ``home``, ``lock``, ``local``, ``replicator``
    and ``_commons``)."""

    @property
    def swarm(self) -> Any:
        """The node's BitTorrent session, when ``communs serve`` runs one."""
        return self.replicator.fetcher.swarm

    def blob_add(self, stream: BinaryIO, name: str | None = None) -> dict[str, Any]:
        info = self.home.blobs.add_stream(stream, name=name)
        return {"hash": info.hex, "size": info.size, "media": info.media}

    def blob_open(self, blob: str) -> BinaryIO:
        return self.home.blobs.open(blob_hash(blob))

    def blobs_held(self, hashes: list[str]) -> list[str]:
        """Which of these files are here: a peer then asks only for those."""
        return [h for h in hashes if self.home.blobs.has(blob_hash(h))]

    def files_missing(self, ref: str | None = None) -> list[dict[str, Any]]:
        """The files that the commons followed here (or commons ``ref``) show and that are
        not on this node: their commons, hash, path and size."""
        if ref:
            with self.lock:
                targets = [self._commons(ref)]
        else:
            targets = self.local.follows()
        fetcher = self.replicator.fetcher
        return [
            {"commons": commons.hex(), "hash": blob.hex(), "path": file.path, "size": file.size}
            for commons in targets
            for blob, file in fetcher.missing(commons).items()
        ]

    def blob_fetch(
        self,
        blob: str,
        peers: list[str] | None = None,
        progress: Any = None,
        torrent: bytes | None = None,
    ) -> dict[str, Any]:
        """Fetch a file from ``peers`` (default: every known peer). Small files are here
        when this returns; large ones are under way in the swarm (see ``blob_transfer``).
        ``torrent``: any torrent of the file (e.g. made by someone's BitTorrent client), to
        fetch it from that torrent's swarm; its SHA-256 is checked at the end."""
        wanted = blob_hash(blob)
        sources = peers or [p["url"] for p in self.local.peers()]
        if torrent is not None:
            return self.replicator.fetcher.fetch_torrent(wanted, torrent, sources)
        if not sources and not self.home.blobs.has(wanted):
            raise fault(NotFound, NO_PEER_TO_ASK, blob=blob[:12])
        return self.replicator.fetcher.fetch(wanted, sources, progress=progress)

    def blob_transfer(self, blob: str, wait: float = 0.0) -> dict[str, Any]:
        """Where a fetch stands; ``wait``: seconds to wait for it to end (at most 10)."""
        return self.replicator.fetcher.transfer(blob_hash(blob), wait)

    def swarm_status(self) -> dict[str, Any]:
        """The node's BitTorrent session: its port (None when it runs none) and transfers."""
        if self.swarm is None:
            return {"port": None, "seeding": 0, "transfers": []}
        return self.swarm.status()

    def file_policy(
        self, ref: str | None = None, fetch: str | None = None, quota: str | None = None
    ) -> dict[str, Any]:
        """Show, or change with ``fetch`` (eager|lazy) and ``quota`` ("2GiB", "none"), how
        files are fetched, for a commons or (``ref`` None) for the whole node."""
        commons = None
        if ref:
            with self.lock:
                commons = self._commons(ref)
        if fetch is not None or quota is not None:
            self.local.set_file_policy(
                commons, fetch=fetch, quota=... if quota is None else parse_size(quota)
            )
        policy = self.local.file_policy(commons)
        fetcher = self.replicator.fetcher
        used = fetcher.used() if commons is None else fetcher.commons_usage(commons)
        return {
            "commons": commons.hex() if commons else None,
            **policy,
            "used": used,
        }

    def start_swarm(
        self,
        listen: str,
        *,
        public: bool = False,
        tracker: str | None = None,
        download_limit: int = 0,
        upload_limit: int = 0,
    ) -> Any:
        """Run the node's BitTorrent session: seed the large files held here (in the
        background: a file's first torrent is hashed) and fetch large files through it."""
        from .swarm import Swarm  # libtorrent loads only for a serving node

        swarm = self.replicator.fetcher.swarm = Swarm(
            self.home,
            listen=listen,
            public=public,
            tracker=tracker,
            download_limit=download_limit,
            upload_limit=upload_limit,
            peer_trackers=lambda: [f"{p['url']}/announce" for p in self.local.peers()],
        )
        seeder = ThreadPoolExecutor(1, thread_name_prefix="seed")
        self._seeder = seeder

        def new_blob(blob: bytes, size: int) -> None:
            if size >= TORRENT_FROM:
                seeder.submit(swarm.seed_all, [blob])

        self.home.blobs.on_new.append(new_blob)
        self._new_blob = new_blob
        seeder.submit(swarm.seed_all, list(self.home.blobs.iter_hashes()))
        return swarm

    def stop_swarm(self) -> None:
        if getattr(self, "_replicator", True) is None:
            return  # the replicator, made on first use, was never made: no swarm either
        swarm, self.replicator.fetcher.swarm = self.swarm, None
        if swarm is None:
            return
        self.home.blobs.on_new.remove(self._new_blob)
        self._seeder.shutdown(wait=False, cancel_futures=True)
        swarm.close()
