"""How much a request may upload, checked before its body is read.

An upload is refused at once when its ``Content-Length`` says it is above ``UPLOAD_LIMIT``,
and a body without one (chunked) is cut off as soon as it passes the limit: nothing of a
refused upload is kept. Bigger files are added on the node itself (``communs blob add``) and
travel over BitTorrent (docs/media.md).
"""

from typing import TYPE_CHECKING, Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

from ..core.errors import CommunsError
from ..domain.refusals import code, fault

if TYPE_CHECKING:
    from .base import Web

UPLOAD_LIMIT = 100 * 1024 * 1024  # bytes a single request may upload through the web or the API


UPLOAD_TOO_LARGE = code(
    "upload_too_large",
    "this upload is larger than the {mib} MiB this node takes in one request: add a bigger "
    "file on the node with `communs blob add FILE`, and it is shared over BitTorrent (see "
    "docs/media.md)",
)
LENGTH_NOT_A_NUMBER = code("length_not_a_number", "this request's Content-Length is not a number")


class TooLarge(CommunsError):
    status = 413


def too_large(limit: int = UPLOAD_LIMIT) -> TooLarge:
    return fault(TooLarge, UPLOAD_TOO_LARGE, mib=limit // (1024 * 1024))


def bound(request: Request, limit: int = UPLOAD_LIMIT) -> None:
    """Refuse (TooLarge) a declared length above ``limit`` now, and make the body stop with
    TooLarge once more than ``limit`` bytes arrived: call before reading the body."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise fault(TooLarge, LENGTH_NOT_A_NUMBER) from None
        if size > limit:
            raise too_large(limit)
    receive = request._receive
    seen = 0

    async def counted() -> Any:
        nonlocal seen
        message = await receive()
        if message.get("type") == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise too_large(limit)
        return message

    request._receive = counted


async def form_with_files(web: "Web", request: Request, limit: int = UPLOAD_LIMIT) -> FormData:
    """A signed-in visitor's form that may carry files: bounded before a byte is read, then
    checked as every form is (``Web.form``)."""
    web.actor(request)
    try:
        bound(request, limit)
        form = await request.form()
    except TooLarge as error:
        raise HTTPException(413, web.said(request, error)) from None
    try:
        return await web.form(request)
    except BaseException:
        await form.close()
        raise
