"""Refusals said in terms of the command line. The node checks every event against its schema
and says which field of the event was wrong ("quorum must be a whole number", code
``field_type``, field ``quorum``); a person typed options, and is told which one
("--set-rule: quorum must be a whole number").

A node whose domain still words a mismatch as msgspec does ("body of proposal.open does not
fit its schema: Expected `int`, got `str` - at `$.effect.rule.method.quorum`") is put in
plain words here too."""

import re
from collections.abc import Mapping
from typing import Any

import click

# The node's codes for a body that does not fit its schema (see domain/plain.py).
_SCHEMA_CODE = re.compile(r"^field_\w+$|^body_invalid$")
# msgspec's own words: "body of KIND does not fit its schema: WHAT - at `$.PATH`"
_SCHEMA = re.compile(
    r"body of [\w.]+ does not fit its schema: (?P<what>.*?)(?: - at `\$(?P<path>[^`]*)`)?$",
    re.S,
)
# "... $.threshold does not fit": a schema path in a refusal's own sentence
_PATH = re.compile(r"`?\$\.(?P<path>[\w.\[\]]+)`?")
# "effect: did: 'bob' is not…": the fields in front of a check's own sentence
_FIELDS_BEFORE = re.compile(r"^(?:[a-z_]+(?:\[\d+\])?: )+(?=')")

# Fields of an event body that no option of the same name sets: the option that does.
FIELD_OPTIONS = {
    "closes_at": "closes_in",
    "options": "options",
    "changes": "puts",
    "files": "puts",
    "links": "links",
    "body": "text",
    "change": "person",  # charter.change, from `communs maintainer add|remove COMMONS PERSON`
}
# Options that make a proposal's effect (one of them is given): a field deeper in the event
# (the rule's quorum, the effect's did) comes from the one given.
EFFECT_OPTIONS = ("add_maintainer", "remove_maintainer", "set_field", "set_rule")


def plain_refusal(error: Exception, command: click.Command, given: Mapping[str, Any]) -> str:
    """The refusal ``error`` with the event's fields replaced by this command's options;
    its message unchanged when it names no field."""
    message = str(error)
    code, params = getattr(error, "code", None), getattr(error, "params", None) or {}
    if code and _SCHEMA_CODE.match(code) and isinstance(params.get("field"), str):
        return _with_option(message, params["field"], command, given)
    found = _SCHEMA.search(message)
    if found is not None:  # said in the domain's plain words first, as a newer node would
        from ..domain.plain import schema_refusal  # (the domain loads only on a refusal)

        head = message[: found.start()].rstrip(": ")
        where = f" - at `${found['path']}`" if found["path"] else ""
        plain = schema_refusal("event", found["what"].strip() + where)
        field = ".".join(_segments(found["path"] or "")) or "value"
        worded = _with_option(str(plain), field, command, given)
        return f"{head}: {worded}" if head else worded
    return _PATH.sub(lambda m: " ".join(_segments(m["path"])) or "it", message)


def _with_option(message: str, field: str, command: click.Command, given: Mapping[str, Any]) -> str:
    """``message`` about ``field`` of the event (its last name, or a dotted path), said of
    the option that gave it: "--title is too long…", "--set-rule: quorum must be…"."""
    path = _segments(field)
    params = {param.name: param for param in command.params}
    named = FIELD_OPTIONS.get(path[0], path[0]) if path else ""
    effect = next((name for name in EFFECT_OPTIONS if given.get(name) is not None), None)
    if named in params and named not in EFFECT_OPTIONS:
        option, inside = params[named], len(path) > 1
    elif effect is not None:
        option, inside = params[effect], path[-1:] not in ([], ["effect"], ["did"])
    else:
        return message
    words = _FIELDS_BEFORE.sub("", message)
    if not inside and path:
        # the sentence starts with the field as the node says it: "title", "closes at",
        # "options[0]"
        for spoken in (field.split(".")[-1], path[-1].replace("_", " ")):
            if words.startswith(f"{spoken} "):
                return _named(option) + words[len(spoken) :]  # "--title is too long…"
    return f"{_named(option)}: {words}"


def _segments(path: str) -> list[str]:
    """``.effect.rule.method.quorum`` → ["effect", "rule", "method", "quorum"] (indexes out)."""
    return [part for part in re.split(r"[.\[\]]+", path) if part and not part.isdigit()]


def _named(param: click.Parameter) -> str:
    if isinstance(param, click.Option):
        return max(param.opts, key=len)  # --title rather than -t
    return param.human_readable_name
