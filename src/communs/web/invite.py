"""What follows a decision: the iCalendar invite of a time poll's chosen slot (RFC 5545),
and — the counter-power — a fork that applies the change a proposal asked for and lost."""

from datetime import datetime, timedelta

from icalendar import Calendar
from icalendar import Event as CalendarEvent
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..core.errors import NotFound
from ..domain.refusals import code, fault
from .base import Web

DEFAULT_MINUTES = 60
NO_CHOSEN_SLOT = code(
    "no_chosen_slot",
    "this proposal has no chosen slot: only a time poll with one winning slot has an invite",
)
SLOT_NOT_A_TIME = code(
    "slot_not_a_time",
    "the chosen slot is not a date and time (write slots like 2026-12-05 18:00 or "
    "2026-12-05 18:00/90)",
)


def slot(text: str) -> tuple[datetime, datetime]:
    """A slot written ``2026-12-05 18:00`` (an hour) or ``2026-12-05 18:00/90`` (minutes)."""
    start_text, _, minutes = text.partition("/")
    start = datetime.fromisoformat(start_text.strip())
    length = int(minutes) if minutes.strip().isdigit() else DEFAULT_MINUTES
    return start, start + timedelta(minutes=length)


def invite(proposal: dict, commons_name: str) -> bytes:
    """The chosen slot as a calendar event; NotFound when there is none (yet)."""
    result = proposal.get("result") or {}
    if proposal["method"]["name"] != "time_poll" or len(result.get("winners") or []) != 1:
        raise fault(NotFound, NO_CHOSEN_SLOT)
    try:
        start, end = slot(result["winners"][0])
    except ValueError:
        raise fault(NotFound, SLOT_NOT_A_TIME) from None
    calendar = Calendar()
    calendar.add("prodid", "-//Communs//governance//EN")
    calendar.add("version", "2.0")
    event = CalendarEvent()
    event.add("uid", f"{proposal['id']}@communs")
    event.add("summary", f"{proposal['title']} ({commons_name})")
    event.add("description", proposal.get("text") or "")
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("dtstamp", datetime.now().replace(microsecond=0))
    calendar.add_component(event)
    return calendar.to_ical()


def add_routes(web: Web) -> None:
    service = web.service

    @web.route("/c/{ref}/proposals/{pid}/invite.ics")
    async def calendar_invite(request: Request) -> Response:
        ref = request.path_params["ref"]
        proposal = await web.call(service.proposal, ref, request.path_params["pid"])
        name = (await web.call(service.commons_show, ref))["name"]
        return Response(
            invite(proposal, name),
            media_type="text/calendar",
            headers={"Content-Disposition": 'attachment; filename="invite.ics"'},
        )

    @web.route("/c/{ref}/proposals/{pid}/fork", methods=("POST",))
    async def fork_lost(request: Request) -> Response:
        form = await web.form(request)
        name = str(form.get("name") or "")
        made = await web.call(
            service.proposal_fork,
            web.actor(request),
            request.path_params["ref"],
            request.path_params["pid"],
            name,
        )
        return RedirectResponse(f"/c/{made['id']}", status_code=303)
