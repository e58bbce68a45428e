"""A body that does not fit its schema, said in plain words: msgspec's message ("Expected
`str` of length <= 200 - at `$.title`") becomes a refusal code with the field and the bound
("the title is too long: at most 200 characters"), so no face shows schema text."""

import re

from ..core.errors import InvalidEvent
from ..i18n import N_
from .refusals import code, fault

WHERE = re.compile(r" - at `\$\.?([^`]*)`$")
TOO_LONG = re.compile(r"Expected `(?:str|array|bytes)` of length <= (\d+)")
TOO_SHORT = re.compile(r"Expected `(?:str|array|bytes)` of length >= (\d+)")
TOO_BIG = re.compile(r"Expected `(?:int|float)` <= (-?\d+)")
TOO_SMALL = re.compile(r"Expected `(?:int|float)` >= (-?\d+)")
WRONG_TYPE = re.compile(r"Expected `(\w+)`(?: \| `\w+`)*, got `(\w+)`")
NOT_ONE_OF = re.compile(r"Invalid enum value (.+)")
MISSING = re.compile(r"Object missing required field `(\w+)`")
UNKNOWN = re.compile(r"Object contains unknown field `(\w+)`")
AN_ID = re.compile(r"Expected `bytes`")
WHAT = {
    "str": N_("text"),
    "int": N_("a whole number"),
    "float": N_("a number"),
    "bool": N_("yes or no"),
    "array": N_("a list"),
    "object": N_("a set of fields"),
    "bytes": N_("bytes"),
    "null": N_("nothing"),
}

FIELD_TOO_LONG = code("field_too_long", "{field:word} is too long: at most {most} characters")
FIELD_EMPTY = code("field_empty", "{field:word} cannot be empty")
FIELD_TOO_SHORT = code("field_too_short", "{field:word} needs at least {least} characters")
FIELD_TOO_BIG = code("field_too_big", "{field:word} is at most {most}")
FIELD_TOO_SMALL = code("field_too_small", "{field:word} is at least {least}")
FIELD_TYPE = code("field_type", "{field:word} must be {expected:word}")
FIELD_CHOICE = code("field_choice", "{field:word} cannot be {value}")
FIELD_MISSING = code("field_missing", "{field:word} is missing")
FIELD_UNKNOWN = code("field_unknown", "there is no field {field} here: leave it out")
FIELD_ID = code("field_id", "{field:word} must be an id (32 bytes)")
FIELD_INVALID = code("field_invalid", "{field:word}: {problem}")
BODY_INVALID = code("body_invalid", "{problem}")  # a check of our own, already plain


SCHEMA_CODES = {
    known.name
    for known in (
        FIELD_TOO_LONG, FIELD_EMPTY, FIELD_TOO_SHORT, FIELD_TOO_BIG, FIELD_TOO_SMALL,
        FIELD_TYPE, FIELD_CHOICE, FIELD_MISSING, FIELD_UNKNOWN, FIELD_ID, FIELD_INVALID,
        BODY_INVALID,
    )
}  # fmt: skip


def schema_refusal(kind: str, message: str) -> InvalidEvent:
    """The plain refusal for msgspec's ``message`` about a body of type ``kind``."""
    where = WHERE.search(message)
    field = (where.group(1).split(".")[-1] if where and where.group(1) else "") or "value"
    said = WHERE.sub("", message)
    if AN_ID.match(said):
        return fault(InvalidEvent, FIELD_ID, field=field)
    if found := TOO_LONG.match(said):
        return fault(InvalidEvent, FIELD_TOO_LONG, field=field, most=int(found.group(1)))
    if found := TOO_SHORT.match(said):
        least = int(found.group(1))
        if least == 1:
            return fault(InvalidEvent, FIELD_EMPTY, field=field)
        return fault(InvalidEvent, FIELD_TOO_SHORT, field=field, least=least)
    if found := TOO_BIG.match(said):
        return fault(InvalidEvent, FIELD_TOO_BIG, field=field, most=int(found.group(1)))
    if found := TOO_SMALL.match(said):
        return fault(InvalidEvent, FIELD_TOO_SMALL, field=field, least=int(found.group(1)))
    if found := WRONG_TYPE.match(said):
        expected = WHAT.get(found.group(1), found.group(1))
        return fault(InvalidEvent, FIELD_TYPE, field=field, expected=expected)
    if found := NOT_ONE_OF.match(said):
        return fault(InvalidEvent, FIELD_CHOICE, field=field, value=found.group(1))
    if found := MISSING.match(said):
        return fault(InvalidEvent, FIELD_MISSING, field=found.group(1))
    if found := UNKNOWN.match(said):
        return fault(InvalidEvent, FIELD_UNKNOWN, field=found.group(1))
    if where:  # a check of our own (a DID, a path…): its sentence, without the schema's
        return fault(InvalidEvent, FIELD_INVALID, field=field, problem=said)
    return fault(InvalidEvent, BODY_INVALID, problem=said.replace("`", ""))
