"""A time poll's chosen slot comes as an iCalendar invite people add to their calendars."""

import io
import warnings

from icalendar import Calendar

from communs.api.app import create_app
from communs.node.home.folder import Actor, Home
from communs.node.service import Service

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def test_the_chosen_slot_is_an_invite(tmp_path):
    service = Service(Home(tmp_path / "home"))
    try:
        service.identity_new("anna")
        service.identity_new("bao")
        commons = service.commons_create(Actor("anna"), name="Choir")["id"]
        poll = service.proposal_open(
            Actor("anna"),
            commons,
            "Rehearsal",
            text="Bring the scores.",
            method={"name": "time_poll"},
            options=["2026-12-05 18:00", "2026-12-06 10:00/90"],
            closes_in_hours=0,
        )["id"]
        service.proposal_act(Actor("anna"), commons, poll, "vote", ballot=["no", "yes"])
        service.proposal_act(Actor("bao"), commons, poll, "vote", ballot=["if_need_be", "yes"])
        client = TestClient(create_app(service))
        assert client.get(f"/c/{commons}/proposals/{poll}/invite.ics").status_code == 404
        service.proposal_act(Actor("anna"), commons, poll, "close")
        answer = client.get(f"/c/{commons}/proposals/{poll}/invite.ics")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(
            "text/calendar"
        )
        (event,) = Calendar.from_ical(answer.content).walk("VEVENT")
        assert str(event["summary"]).startswith("Rehearsal")
        assert event.decoded("dtstart").isoformat() == "2026-12-06T10:00:00"
        assert event.decoded("dtend").isoformat() == "2026-12-06T11:30:00"
        assert io.BytesIO(answer.content).read().startswith(b"BEGIN:VCALENDAR")
    finally:
        service.close()
