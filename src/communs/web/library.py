"""A lending library in the browser: its catalogue (photos, category, availability), filtered
by category, an item's page with what a borrower and a steward need to know, and the
stewards' forms — an item added with its photo, its status changed."""

from typing import Any
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from ..domain.library import CATEGORIES, CONDITIONS, RISKS, STATUSES, WORDS
from . import uploads
from .base import Web
from .discussion import text_of

PHOTO_LIMIT = 20 * 1024 * 1024
PER_PAGE = 60  # items a page of the catalogue shows
ITEM_TEXT = ("title", "description", "brand", "model", "serial", "value", "deposit", "care",
             "location")  # fmt: skip


def add_routes(web: Web) -> None:
    service = web.service
    me_of = web.me_of

    def catalogue_data(ref: str, me: str | None, category: str | None, page: int) -> dict[str, Any]:
        commons = service.commons_show(ref)
        found = service.items(ref)  # one scan: the counts by category, then the page
        membership = service.library_membership(ref, me)
        counts: dict[str, int] = {}
        for item in found["items"]:
            counts[item["category"]] = counts.get(item["category"], 0) + 1
        chosen = [i for i in found["items"] if category in (None, i["category"])]
        pages = max(1, -(-len(chosen) // PER_PAGE))
        page = min(max(page, 1), pages)
        return {
            **found,
            "items": chosen[(page - 1) * PER_PAGE : page * PER_PAGE],
            "page": page,
            "pages": pages,
            "commons": commons,
            "category": category if category in CATEGORIES else None,
            "counts": counts,
            "words": WORDS,
            "categories": CATEGORIES,
            "conditions": CONDITIONS,
            "risks": RISKS,
            "is_steward": me is not None and me in {m["did"] for m in commons["maintainers"]},
            "membership": membership["yours"],
            "member_count": membership["count"],
            "agreement": service.charter(ref).get("member_agreement") or "",
        }

    @web.route("/c/{ref}/library")
    async def catalogue(request: Request) -> Response:
        query = request.query_params
        category = query.get("category") if query.get("category") in CATEGORIES else None
        page = int(query["page"]) if query.get("page", "").isdigit() else 1
        ref, me = request.path_params["ref"], me_of(request)
        data = await web.call(catalogue_data, ref, me, category, page)
        return web.page(request, "library.html", data)

    def members_data(ref: str, actor: Any) -> dict[str, Any]:
        found = service.library_members(actor, ref)
        return {**found, "commons": service.commons_show(ref)}

    @web.route("/c/{ref}/library/members")  # before an item's page: "members" is no item
    async def members(request: Request) -> Response:
        session = web.session(request)
        actor = web.actor(request) if session and session.identity else None
        data = await web.call(members_data, request.path_params["ref"], actor)
        page = web.page(request, "members.html", data)
        page.headers["Cache-Control"] = "no-store"  # a steward's view holds contact details
        return page

    @web.route("/c/{ref}/library/join", methods=("POST",))
    async def join(request: Request) -> Response:
        ref = request.path_params["ref"]
        await web.form(request)
        made = await web.call(service.library_join, web.actor(request), ref)
        return web.done(request, made, f"/c/{quote(ref)}/library")

    def item_data(ref: str, iid: str, me: str | None) -> dict[str, Any]:
        commons = service.commons_show(ref)
        return {
            "item": service.item(ref, iid),
            "commons": commons,
            "words": WORDS,
            "statuses": STATUSES,
            "is_steward": me is not None and me in {m["did"] for m in commons["maintainers"]},
        }

    @web.route("/c/{ref}/library/{item}")
    async def item(request: Request) -> Response:
        path = request.path_params
        data = await web.call(item_data, path["ref"], path["item"], me_of(request))
        return web.page(request, "item.html", data)

    @web.route("/c/{ref}/library", methods=("POST",))
    async def add(request: Request) -> Response:
        ref = request.path_params["ref"]
        form = await uploads.form_with_files(web, request, PHOTO_LIMIT)
        actor = web.actor(request)
        try:
            photo = form.get("photo")
            photos = []
            if isinstance(photo, UploadFile) and photo.filename:
                await photo.seek(0)
                name = photo.filename.replace("\\", "/").rsplit("/", 1)[-1]
                photos.append(str((await web.call(service.blob_add, photo.file, name))["hash"]))
        finally:
            await form.close()
        fields: dict[str, Any] = {f: text_of(form, f) for f in ITEM_TEXT if text_of(form, f)}
        for choice in ("category", "condition", "risk"):
            if text_of(form, choice):
                fields[choice] = text_of(form, choice)
        if text_of(form, "loan_days"):
            fields["loan_days"] = text_of(form, "loan_days")
        made = await web.call(service.item_add, actor, ref, **fields, photos=photos)
        return web.done(request, made, f"/c/{quote(ref)}/library/{made['id']}")

    @web.route("/c/{ref}/library/{item}/status", methods=("POST",))
    async def status(request: Request) -> Response:
        path = request.path_params
        form = await web.form(request)
        actor = web.actor(request)
        made = await web.call(
            service.item_status, actor, path["ref"], path["item"], text_of(form, "status"),
            text_of(form, "note"),
        )  # fmt: skip
        return web.done(request, made, f"/c/{quote(path['ref'])}/library/{made['item']}")
