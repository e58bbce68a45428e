"""A person's page: the names they signed in the commons this node holds, what they
contributed, reviewed and did on the boards, a thread about them, and — for themselves only —
the messages that mention them or answer them (their notifications)."""

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..core.errors import NotFound
from ..core.identity import is_did
from ..domain import threads
from ..node import queries
from . import discussion
from .app import Web


def add_routes(web: Web) -> None:
    service = web.service

    def me_of(request: Request) -> str | None:
        session = web.session(request)
        return session.identity.did if session and session.identity else None

    def person_data(did: str, me: str | None, chosen: str) -> dict[str, Any]:
        if not is_did(did):
            raise NotFound(f"{did!r} is not a person: people are named by a did:key identity")
        names: list[str] = []
        contributions: list[dict[str, Any]] = []
        reviews: list[dict[str, Any]] = []
        opened: list[dict[str, Any]] = []
        claimed: list[dict[str, Any]] = []
        done: list[dict[str, Any]] = []
        notifications: list[dict[str, Any]] = []
        present: list[dict[str, Any]] = []
        with service.lock:
            home = service.home
            every = queries.commons_list(home)
            for row in every:
                commons_id = bytes.fromhex(row["id"])
                cid = home.cid(commons_id)
                state = home.state(commons_id)
                where = {"commons": row["id"], "commons_name": row["name"]}
                profile = state.get(f"profile/{did}")
                if profile:
                    present.append(where)
                    if profile["name"] not in names:
                        names.append(profile["name"])
                titles = {}
                for key, record in home.store.scan_records(cid, "contribution/"):
                    hexid = key.split("/", 1)[1]
                    titles[hexid] = (record["title"], record["state"])
                    if record["author"] == did:
                        contributions.append(
                            {
                                **where,
                                "id": hexid,
                                "title": record["title"],
                                "state": record["state"],
                                "time": record["time"],
                            }
                        )
                for key, record in home.store.scan_records(cid, "review/"):
                    if record["by"] != did:
                        continue
                    hexid = key.split("/")[1]
                    title, current = titles.get(hexid, (hexid[:12], None))
                    reviews.append(
                        {
                            **where,
                            "contribution": hexid,
                            "title": title,
                            "state": current,
                            "verdict": record["verdict"],
                            "comment": record["comment"],
                            "time": record["time"],
                        }
                    )
                for key, record in home.store.scan_records(cid, "task/"):
                    item = {
                        **where,
                        "id": key.split("/", 1)[1],
                        "title": record["title"],
                        "state": record["state"],
                        "time": record["time"],
                    }
                    if record["author"] == did:
                        opened.append(item)
                    if record["state"] == "claimed" and record["claim"]["by"] == did:
                        claimed.append({**item, "until": record["claim"]["until"]})
                    if record["doer"] == did:
                        done.append(item)
                if me == did:
                    messages = home.store.scan_records(cid, "message/")
                    known = queries.names(home, cid)
                    for note in threads.notifications(messages, did):
                        subject = note["subject"]
                        notifications.append(
                            {
                                **where,
                                **queries.hexed(note),
                                "author_name": known.get(note["author"]),
                                "url": discussion.subject_url(
                                    row["id"], subject["kind"], subject["ref"]
                                ),
                                "about": threads.describe(subject),
                            }
                        )
        for listing in (contributions, reviews, opened, claimed, done, notifications):
            listing.sort(key=lambda item: item["time"], reverse=True)
        # The thread about the person: in the commons asked for, else the first they are in.
        candidates = [c["commons"] for c in present] + [c["id"] for c in every]
        here = chosen if chosen in [c["id"] for c in every] else next(iter(candidates), None)
        thread = None
        if here is not None:
            thread = discussion.thread_for(service, bytes.fromhex(here), "person", did)
        return {
            "did": did,
            "names": names,
            "name": names[0] if names else None,
            "is_me": me == did,
            "commons": present,
            "every": [{"commons": c["id"], "commons_name": c["name"]} for c in every],
            "contributions": contributions,
            "reviews": reviews,
            "tasks": {"opened": opened, "claimed": claimed, "done": done},
            "notifications": notifications if me == did else None,
            "thread": thread,
        }

    @web.route("/people/{did}")
    async def person(request: Request) -> Response:
        data = await run_in_threadpool(
            person_data,
            request.path_params["did"],
            me_of(request),
            (request.query_params.get("in") or "").strip().lower(),
        )
        return web.page(request, "person.html", data)
