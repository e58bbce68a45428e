"""The endpoints peers use to replicate commons (see ``node.peers.sync`` for the protocol)."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import cbor2
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import ClientDisconnect

from ..core.errors import BadInput
from ..domain.refusals import code, fault
from ..node import HAVE_MAX, HEARTBEAT, MAX_BODY, Busy, Lanes, Replicator, encode_stream

CBOR_SEQ = "application/cbor-seq"
NOT_HEADS_MAP = code("sync_not_heads_map", "expected a CBOR map {{heads: [event ids]}}")
UPLOAD_CUT = code("upload_cut", "the upload of {file} was cut: nothing was kept")
COMMONS_NOT_HEX = code("sync_commons_not_hex", "commons must be comma-separated commons ids in hex")
TOO_LARGE = code("request_too_large", "at most {mib} MiB per request: send smaller batches")


class WantedBody(BaseModel):
    hashes: list[str] | None = Field(
        None,
        max_length=HAVE_MAX,
        description="file hashes (hex SHA-256); none: every file the commons shows",
    )


def add_sync_routes(app: FastAPI, replicator: Replicator) -> None:
    r = replicator

    @app.get("/sync/commons")
    def served() -> list[dict[str, Any]]:
        """The commons this node serves, with their heads."""
        return r.server.served()

    @app.get("/sync/{commons}/info")
    def info(commons: str) -> dict[str, Any]:
        """Heads and ancestry of a commons: the ancestors come first when cloning a fork."""
        return r.server.info(commons)

    @app.post("/sync/{commons}/missing")
    async def missing(commons: str, request: Request) -> StreamingResponse:
        """Send our heads and the given heads we lack, then every event the asker lacks."""
        try:
            asked = cbor2.loads(await _body(request, 1 << 20))
        except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError):
            asked = None
        if not isinstance(asked, dict) or not isinstance(asked.get("heads"), list):
            raise fault(BadInput, NOT_HEADS_MAP)
        header, pages = await run_in_threadpool(r.server.missing, commons, asked["heads"])
        stream: Iterator[bytes] = encode_stream(_items(header, pages))
        return StreamingResponse(iterate_in_threadpool(stream), media_type=CBOR_SEQ)

    @app.post("/sync/{commons}/events")
    async def receive(commons: str, request: Request) -> JSONResponse:
        """Ingest a CBOR sequence of events sent by a peer; answer what became of them."""
        body = await _body(request, MAX_BODY)
        # A node says who it is, so what it pushed is not pushed back to it.
        sender = request.headers.get("x-communs-node") or _peer(request)
        try:
            report = await run_in_threadpool(r.receive, commons, [body], sender)
        except Busy as busy:  # nothing was taken: the whole push comes again later
            return _too_many(str(busy), busy.retry_after, {})
        if report.get("over_quota"):  # what the quota let through is stored
            return _too_many(report["over_quota"], report["retry_after"], report)
        return JSONResponse(report)

    @app.post("/sync/{commons}/files/wanted")
    def files_wanted(commons: str, body: WantedBody) -> dict[str, Any]:
        """Which of these files (default: of those the commons shows) this node lacks and
        wants: a peer that pushed their events then sends them (``PUT``)."""
        return {"wanted": r.offers.wanted(commons, body.hashes)}

    @app.put("/sync/{commons}/files/{blob}")
    async def file_take(commons: str, blob: str, request: Request) -> dict[str, Any]:
        """A file the commons shows, sent by a peer (with its Content-Length): written as it
        arrives, kept only if it matches its hash and fits the quotas."""
        chunks = request.stream().__aiter__()

        def read() -> bytes:  # runs on the worker thread, the body stays on the loop
            try:
                return anyio.from_thread.run(chunks.__anext__)
            except StopAsyncIteration:
                return b""
            except ClientDisconnect:
                raise fault(BadInput, UPLOAD_CUT, file=blob[:12]) from None

        length = request.headers.get("content-length", "")
        sender = request.headers.get("x-communs-node") or _peer(request)
        return await run_in_threadpool(r.offers.take, commons, blob, length, read, sender)

    @app.get("/sync/live")
    async def live(request: Request, commons: str = "", node: str = "") -> StreamingResponse:
        """Events as this node ingests them, for the commons listed (comma-separated ids).
        ``node`` is the subscriber's own address: this node then need not push to it."""
        try:
            wanted = {bytes.fromhex(c) for c in commons.split(",") if c}
        except ValueError:
            raise fault(BadInput, COMMONS_NOT_HEX) from None
        lanes = Lanes()
        ready = asyncio.Event()
        loop = asyncio.get_running_loop()

        def put(items: list, bulk: bool) -> None:
            lanes.put(items, bulk)
            ready.set()

        def deliver(added: list[tuple[bytes, bytes]], bulk: bool) -> None:  # a transaction
            items = [raw for commons_id, raw in added if not wanted or commons_id in wanted]
            if items:
                loop.call_soon_threadsafe(put, items, bulk)

        def new_file(blob: bytes) -> None:  # subscribers missing it fetch it now
            loop.call_soon_threadsafe(put, [{"file": blob}], False)

        async def stream() -> AsyncIterator[bytes]:
            r.stream_listeners.add(deliver)
            r.file_listeners.add(new_file)
            if node:
                r.subscribers.add(node)
            try:
                yield cbor2.dumps({"live": True})  # tells the subscriber it is connected
                while not r.stopping:
                    if not lanes:
                        ready.clear()
                        try:
                            await asyncio.wait_for(ready.wait(), HEARTBEAT)
                        except TimeoutError:
                            yield cbor2.dumps({})  # keeps the connection known to be alive
                            continue
                    yield lanes.take()  # events' bytes, {file: hash}, a page of bulk events
            finally:
                r.stream_listeners.discard(deliver)
                r.file_listeners.discard(new_file)
                r.subscribers.discard(node)

        return StreamingResponse(stream(), media_type=CBOR_SEQ)


def _too_many(message: str, retry_after: int, report: dict[str, Any]) -> JSONResponse:
    """429 with Retry-After, the error shape of every face, and what became of the events."""
    return JSONResponse(
        {**report, "ok": False, "error": message, "status": 429, "retry_after": retry_after},
        status_code=429,
        headers={"Retry-After": str(retry_after)},
    )


def _items(header: dict[str, Any], pages: Iterator[list[bytes]]) -> Iterator[object]:
    yield header
    for page in pages:
        yield from page


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused as soon as it grows past ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(limit)
    return bytes(body)


class PayloadTooLarge(BadInput):
    status = 413

    def __init__(self, limit: int):
        said = fault(BadInput, TOO_LARGE, mib=limit // 2**20)
        super().__init__(str(said), code=said.code, params=said.params)


def _peer(request: Request) -> str:
    return request.client.host if request.client else "unknown"
