"""The Service's door to personal data: what a person gives a commons of this node to be paid
(legal name, bank account, address…), kept in the node's local database and never in the
log (``store/personal``).

Only the person and the commons' keepers see it — its treasurers, who pay people — and each
time a keeper reads it, the person can see who did and when. A person downloads everything
held about them, and erases it; the public log stays as it was, and verifiable."""

import re
from typing import Any

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from ..core.errors import BadInput, Refused
from ..domain.distribution import COMMONS_PAYEE
from ..domain.refusals import code, fault
from ..domain.treasury import treasurers
from .home.folder import Actor
from .reads import queries
from .treasury_ops import owed_by_payee

FIELDS = ("legal_name", "iban", "bic", "address", "email", "phone")
LONGEST = {"legal_name": 200, "address": 500, "email": 254, "phone": 30, "iban": 42, "bic": 11}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ().-]{5,30}$")
READS_SHOWN = 20

NO_SUCH_FIELD = code("no_personal_field", "no field '{field}' is kept: one of {fields}")
TOO_LONG = code("personal_too_long", "{field} is too long: at most {limit} characters")
NOT_AN_IBAN = code(
    "not_an_iban", "'{value}' is not an IBAN ({problem}): e.g. FR76 3000 6000 0112 3456 7890 189"
)
NOT_A_BIC = code("not_a_bic", "'{value}' is not a BIC ({problem}): 8 or 11 letters and digits")
NOT_AN_EMAIL = code("not_an_email", "'{value}' is not an e-mail address: name@example.org")
NOT_A_PHONE = code("not_a_phone", "'{value}' is not a phone number: digits, spaces, a leading +")
NOT_A_KEEPER = code(
    "not_a_keeper",
    "only the person and the treasurers of this commons see personal data; the charter names "
    "the treasurers",
)


def cleaned(field: str, value: str) -> str:
    """A field's value as it is kept (an IBAN in its printed groups), or a refusal."""
    if field not in FIELDS:
        raise fault(BadInput, NO_SUCH_FIELD, field=field, fields=", ".join(FIELDS))
    value = value.strip()
    if not value:
        return ""
    if len(value) > LONGEST[field]:
        raise fault(BadInput, TOO_LONG, field=field, limit=LONGEST[field])
    try:
        if field == "iban":
            return IBAN(value).formatted
        if field == "bic":
            return str(BIC(value))
    except SchwiftyException as error:
        refusal = NOT_AN_IBAN if field == "iban" else NOT_A_BIC
        raise fault(BadInput, refusal, value=value, problem=str(error)) from None
    if field == "email" and not EMAIL.match(value):
        raise fault(BadInput, NOT_AN_EMAIL, value=value)
    if field == "phone" and not PHONE.match(value):
        raise fault(BadInput, NOT_A_PHONE, value=value)
    return value


class PersonalOps:
    """Mixed into ``Service`` (which provides ``home``, ``lock``, ``local``, ``_commons`` and
    ``_me``)."""

    home: Any
    lock: Any
    local: Any
    _commons: Any
    _me: Any

    def _keepers(self, commons: bytes) -> list[str]:
        with self.lock:
            return treasurers(self.home.state(commons))

    def personal(self, actor: Actor, ref: str, person: str | None = None) -> dict[str, Any]:
        """What the commons holds about ``person`` (default: the actor), for the person or a
        treasurer — whose reading is noted for the person to see — and who read it lately."""
        me = self._me(actor).did
        commons = self._commons(ref)
        whom = person or me
        keepers = self._keepers(commons)
        if whom != me and me not in keepers:
            raise fault(Refused, NOT_A_KEEPER)
        held = self.local.personal_get(commons, [whom]).get(whom, {"fields": {}, "updated": 0})
        if whom != me and held["fields"]:
            self.local.personal_read(commons, whom, me)
        reads = self.local.personal_reads(commons, whom, READS_SHOWN) if whom == me else []
        with self.lock:
            known = queries.names(self.home, self.home.cid(commons))
        for read in reads:
            read["name"] = known.get(read["reader"])
        return {
            "commons": commons.hex(),
            "person": whom,
            "name": known.get(whom),
            "fields": held["fields"],
            "updated": held["updated"] or None,
            "reads": reads,
            "keepers": [{"did": did, "name": known.get(did)} for did in keepers],
        }

    def personal_set(self, actor: Actor, ref: str, fields: dict[str, str]) -> dict[str, Any]:
        """Set the actor's own fields (an empty one is removed); all checked before any is
        kept."""
        me = self._me(actor).did
        commons = self._commons(ref)
        kept = {field: cleaned(field, value or "") for field, value in fields.items()}
        self.local.personal_set(commons, me, kept)
        return {"person": me, "fields": sorted(f for f, v in kept.items() if v)}

    def personal_erase(self, actor: Actor, ref: str) -> dict[str, Any]:
        """Erase what the commons holds about the actor, for good."""
        me = self._me(actor).did
        return {"person": me, "erased": self.local.personal_erase(self._commons(ref), me)}

    def personal_export(self, actor: Actor) -> dict[str, Any]:
        """Everything this node holds about the actor, in every commons, and who read it."""
        me = self._me(actor).did
        held = self.local.personal_of(me)
        return {"person": me, "held": queries.hexed(held)}

    def payees(self, actor: Actor, ref: str) -> dict[str, Any]:
        """For a treasurer: everyone the treasury owes (people, and commons given shares),
        how much in each currency, and where to pay the people — each read noted for them."""
        me = self._me(actor).did
        commons = self._commons(ref)
        if me not in self._keepers(commons):
            raise fault(Refused, NOT_A_KEEPER)
        with self.lock:
            cid = self.home.cid(commons)
            known = queries.names(self.home, cid)
            owed = owed_by_payee(self.home.store, cid)
        people = [p for p in owed if not p.startswith(COMMONS_PAYEE)]
        held = self.local.personal_get(commons, people)
        for person in held.keys() - {me}:
            self.local.personal_read(commons, person, me)
        listed = [
            {
                "payee": payee,
                "name": known.get(payee),
                "owed": amounts,
                "fields": (held.get(payee) or {}).get("fields") or {},
            }
            for payee, amounts in sorted(owed.items())
        ]
        return {"commons": commons.hex(), "payees": listed}
