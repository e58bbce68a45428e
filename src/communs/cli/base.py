"""What every command shares: the home, the acting identity, output, and errors at the edge."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import node  # its parts load when first used: a command loads only what it needs
from ..core.errors import Ambiguous, BadInput, CommunsError
from ..i18n import N_
from .refusals import plain_refusal

if TYPE_CHECKING:
    import httpx
    from click.shell_completion import CompletionItem

    from ..node import Actor, HttpService, Service


class Context:
    def __init__(self, home: str | None, acting_as: str | None, passphrase_file: str | None):
        self.home_path = home
        self.acting_as = acting_as
        self.passphrase_file = passphrase_file
        self._service: Service | HttpService | None = None

    @property
    def service(self) -> Service | HttpService:
        """The home itself, or the node running on it: a home has one writer."""
        if self._service is None:
            path = Path(self.home_path) if self.home_path else node.default_home()
            running = node.running_node(path)
            if running:
                self._service = node.HttpService(running["url"], node.ensure_token(path))
            else:
                self._service = node.Service(node.Home(path))
        return self._service

    def passphrase(self) -> str | None:
        if self.passphrase_file:
            return Path(self.passphrase_file).read_text().rstrip("\n")
        return os.environ.get("COMMUNS_PASSPHRASE")

    @property
    def actor(self) -> Actor:
        return node.Actor(self.acting_as, self.passphrase())

    def close(self) -> None:
        if self._service is not None:
            self._service.close()
            self._service = None


pass_ctx = click.make_pass_decorator(Context)


def _late_option(attribute: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def store(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is None:
            return value
        found = ctx.find_object(Context)
        if found is not None:
            setattr(found, attribute, value)
        else:  # completing a command line: the group's callback did not run
            ctx.meta[f"communs.{attribute}"] = value
        return value

    return store


class CommunsCommand(click.Command):
    """Every command also takes --as and --home after its name, as people tend to type."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.params += [
            click.Option(
                ["--as"],
                metavar="NAME",
                expose_value=False,
                callback=_late_option("acting_as"),
                help="Act as this identity of the home (a name or a DID prefix).",
            ),
            click.Option(
                ["--home"],
                type=click.Path(file_okay=False),
                expose_value=False,
                callback=_late_option("home_path"),
                help="The node's folder.",
            ),
        ]

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Ambiguous as error:
            listed = _candidates(ctx, str(error))
            if listed is None:
                raise
            # the sentence with its candidates, already in the reader's language: no code
            raise Ambiguous(listed) from None
        except CommunsError as error:
            # A refusal that quotes the event schema ("Expected `int`, got `str` - at
            # `$.effect`") is said again in terms of this command's options.
            plain = plain_refusal(error, self, ctx.params)
            if plain == str(error):
                raise
            raise type(error)(plain, code=error.code, params=error.params) from None


# "'3f' matches several contributions; give more characters", as the node words it
_SEVERAL = re.compile(r"^'(?P<ref>[0-9a-f]+)' matches several (?P<kind>\w+?)s\b")
SHOWN_CANDIDATES = 5


def _candidates(ctx: click.Context, message: str) -> str | None:
    """An ambiguous prefix said again with the objects it matches (short id and title), so
    that one can pick, as for commons; None when there is nothing to add."""
    found = _SEVERAL.match(message)
    commons = ctx.params.get("commons")
    service_ctx = ctx.find_object(Context)
    if found is None or not commons or service_ctx is None or "(" in message:
        return None
    ref, kind = found["ref"], found["kind"]
    listings: dict[str, Callable[[], list[dict[str, Any]]]] = {
        "contribution": lambda: service_ctx.service.contributions(commons, None),
        "task": lambda: service_ctx.service.tasks(commons, None),
        "proposal": lambda: service_ctx.service.proposals(commons),
    }
    if kind not in listings:
        return None
    try:
        items = [i for i in listings[kind]() if i["id"].startswith(ref)]
    except CommunsError:
        return None  # the original refusal says enough
    if len(items) < 2:
        return None
    return said(SEVERAL[kind], ref=ref, candidates=listed([(i["id"], i["title"]) for i in items]))


SEVERAL = {
    "contribution": N_(
        "'{ref}' matches several contributions ({candidates}); give more characters"
    ),
    "task": N_("'{ref}' matches several tasks ({candidates}); give more characters"),
    "proposal": N_("'{ref}' matches several proposals ({candidates}); give more characters"),
}


def listed(candidates: list[tuple[str, str]], shown: int = SHOWN_CANDIDATES) -> str:
    """Candidates as a person tells them apart: short id and title (or name)."""
    named = ", ".join(f"{short(ident)} {title}".strip() for ident, title in candidates[:shown])
    more = len(candidates) - shown
    if more <= 0:
        return named
    return said_n("{candidates} and {n} more", "{candidates} and {n} more", more, candidates=named)


class LazyChoice(click.Choice):
    """A choice among values loaded when first needed: most lists live in the domain, which
    a command that does not use them (or --help) should not import."""

    def __init__(self, load: Callable[[], Iterable[str]], case_sensitive: bool = True):
        self._load = load
        self._loaded: tuple[str, ...] | None = None
        self.case_sensitive = case_sensitive

    @property
    def choices(self) -> tuple[str, ...]:  # type: ignore[override]
        if self._loaded is None:
            self._loaded = tuple(self._load())
        return self._loaded


# -- shell completion ------------------------------------------------------------------------


def _completion_context(ctx: click.Context) -> Context:
    """The home a command line being completed names (--home before or after the command, or
    $COMMUNS_HOME), opened only now: completing commands and options never opens it."""
    home = None
    for each in [ctx, *_parents(ctx)]:
        home = home or each.meta.get("communs.home_path") or each.params.get("home")
    return Context(home, None, None)


def _parents(ctx: click.Context) -> list[click.Context]:
    found = []
    while ctx.parent is not None:
        ctx = ctx.parent
        found.append(ctx)
    return found


def complete_commons(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """The commons of the home whose name (any case) or id starts with what was typed."""
    import shlex

    from click.shell_completion import CompletionItem

    opened = _completion_context(ctx)
    folder = Path(opened.home_path) if opened.home_path else node.default_home()
    if not (folder / "communs.db").is_file():  # no home there: completing must not make one
        return []
    try:
        rows = opened.service.commons_list()
    except Exception:  # noqa: BLE001  (a completion must never print a traceback in a shell)
        return []
    finally:
        opened.close()
    typed = incomplete.strip("'\"").casefold()
    # bash inserts a completion as it is: a name with spaces must come quoted
    quote = shlex.quote if os.environ.get("_COMMUNS_COMPLETE", "").startswith("bash") else str
    found = []
    for row in rows:
        if row["name"].casefold().startswith(typed):
            found.append(CompletionItem(quote(row["name"]), help=short(row["id"])))
        elif typed and row["id"].startswith(typed):
            found.append(CompletionItem(short(row["id"]), help=row["name"]))
    return found


def commons_argument(command: Callable[..., Any]) -> Callable[..., Any]:
    """The COMMONS argument most commands start with: an id prefix or a name, completed by
    the shell from the commons of the home."""
    return click.argument("commons", shell_complete=complete_commons)(command)


def commons_option(help: str) -> Callable[..., Any]:
    """``--commons COMMONS``, completed like the argument."""
    return click.option(
        "--commons", default=None, metavar="COMMONS", help=help, shell_complete=complete_commons
    )


def _unanswered(ctx: click.Context, error: httpx.HTTPError) -> str:
    """Who did not answer — the node running on this home, or another node — and what to do."""
    try:
        asked = str(error.request.url)
    except RuntimeError:  # no request attached
        asked = ""
    node = getattr(getattr(ctx.obj, "_service", None), "url", None)  # set through a node
    if node is not None and (not asked or asked.startswith(node)):
        return said(
            "the node running on this home did not answer ({error}); "
            "is it still running? 'communs status' tells",
            error=error,
        )
    if not asked:
        return said(
            "a node did not answer ({error}): check the address, and that its node is running",
            error=error,
        )
    return said(
        "{url} did not answer ({error}): check the address, and that its node is running",
        url=asked,
        error=error,
    )


class CommunsGroup(click.Group):
    """Turns a CommunsError into one line on stderr: exit 1 for a refused action, 2 for
    input that cannot be used as given.

    ``lazy`` names commands by "module:attribute" (relative to this package), imported when
    the command is used: a command loads the modules of its own group only."""

    command_class = CommunsCommand
    group_class = type  # subgroups are CommunsGroups too

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            module, _, attribute = self.lazy[cmd_name].partition(":")
            loaded = getattr(importlib.import_module(module, __package__), attribute)
            self.add_command(loaded, cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CommunsError as error:
            click.echo(said_error(error), err=True)
            ctx.exit(2 if isinstance(error, BadInput | Ambiguous) else 1)
        except KeyboardInterrupt:
            # Every write is a transaction: what finished is stored, nothing is half-kept.
            click.echo("\n" + said(INTERRUPTED), err=True)
            # Straight out: the threads an interrupted command leaves (a transfer, a sync)
            # must not run on while the interpreter tears down, which can crash it.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)
        except Exception as error:
            httpx = sys.modules.get("httpx")  # loaded by whatever talked to a node
            if httpx is None or not isinstance(error, httpx.HTTPError):
                raise
            click.echo(said("error: {message}", message=_unanswered(ctx, error)), err=True)
            ctx.exit(1)


INTERRUPTED = N_(
    "interrupted: what was done before is kept, nothing half-done is; run the same command "
    "again to go on"
)
N_("error: {message}")  # the prefix of a refusal, translated in ``said_error``


def cli_language() -> str:
    """The language of the person at the terminal, as gettext reads it: LANGUAGE, LC_ALL,
    LC_MESSAGES, then LANG ("fr_FR.UTF-8" is French); English otherwise."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"


def said(text: str, /, **fields: Any) -> str:
    """``text`` (a message of the catalogue) in the terminal's language, its ``{fields}``
    filled after translation: ``said("{n} files fetched", n=3)``."""
    lang = cli_language()
    if lang == "en":
        return text.format(**fields) if fields else text
    from ..i18n import translator

    return translator(lang)(text, **fields)


def said_n(one: str, many: str, n: int, /, **fields: Any) -> str:
    """A message with a plural, in the terminal's language: ``said_n("{n} head", "{n} heads",
    len(heads))`` (``n`` is a field too)."""
    lang = cli_language()
    if lang == "en":
        return (one if n == 1 else many).format(n=n, **fields)
    from ..i18n import translator

    return translator(lang).ngettext(one, many, n, **fields)


def number(n: int) -> str:
    """A count with its thousands marked as the reader writes them: 12,345 or 12 345."""
    grouped = f"{n:,}"
    return grouped.replace(",", "\u202f") if cli_language() == "fr" else grouped


def said_error(error: CommunsError) -> str:
    """A refusal as the terminal's reader says it: in French from its code when it has one
    (the English names the command's options), else as it was written."""
    if cli_language() == "en":
        return f"error: {error}"
    from ..domain.refusals import CODES, sentence
    from ..i18n import translator

    translate = translator(cli_language())
    text = str(error)
    if error.code in CODES:
        text = sentence({"code": error.code, "params": error.params}, translate) or text
    return translate("error: {message}", message=translate(text))


def json_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--json`` on every read: machines get JSON, people get text."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")(command)


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


# What ``created`` says on a terminal, by what was made (the name of the action, for one).
CREATED = {
    "identity": N_("identity created"),
    "commons": N_("commons created"),
    "endorsement": N_("endorsement created"),
    "assessment": N_("assessment created"),
    "distribution": N_("distribution round proposed"),
    "waiver": N_("share waived"),
    "gift": N_("share given to a commons"),
    "enterprise": N_("enterprise registered"),
    "pledge": N_("pledge changed"),
    "payment": N_("reciprocity payment recorded"),
    "fork": N_("fork created"),
    "contribution": N_("contribution created"),
    "revision": N_("revision created"),
    "review": N_("review created"),
    "accept": N_("accept created"),
    "reject": N_("reject created"),
    "revert": N_("revert created"),
    "withdraw": N_("withdraw created"),
    "patrol": N_("patrol created"),
    "task": N_("task created"),
    "claim": N_("claim created"),
    "extend": N_("extend created"),
    "release": N_("release created"),
    "done": N_("done created"),
    "validate": N_("validate created"),
    "invalidate": N_("invalidate created"),
    "reopen": N_("reopen created"),
    "signal": N_("signal created"),
    "flag": N_("flag created"),
    "unflag": N_("unflag created"),
    "proposal": N_("proposal created"),
    "vote": N_("vote created"),
    "reveal": N_("reveal created"),
    "object": N_("object created"),
    "withdraw-objection": N_("withdraw-objection created"),
    "close": N_("close created"),
    "settle": N_("settle created"),
    "message": N_("message created"),
    "edit": N_("edit created"),
    "retract": N_("retract created"),
    "hide": N_("hide created"),
    "unhide": N_("unhide created"),
    "react": N_("react created"),
    "unreact": N_("unreact created"),
    "peer": N_("peer created"),
    "file": N_("file created"),
}


def created(as_json: bool, new_id: bytes | str, what: str, **extra: Any) -> None:
    """A command that creates something prints its id (with --json: an object with ``id``);
    ``what`` it made (a key of ``CREATED``) is said on a terminal."""
    ident = new_id.hex() if isinstance(new_id, bytes) else new_id
    if as_json:
        emit_json({"id": ident, **extra})
    else:
        click.echo(ident)
        if sys.stderr.isatty():
            click.echo(said(CREATED[what]) if what in CREATED else f"{what} created", err=True)


def moment(ms: int, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A time in milliseconds as a UTC date; one outside the calendar (an author may sign
    any time, a proposal may close in a million years) is said, not a crash."""
    try:
        return datetime.fromtimestamp(ms / 1000, UTC).strftime(pattern)
    except (OverflowError, OSError, ValueError):
        return said("far in the future") if ms > 0 else said("long ago")


def short(hex_id: str | None) -> str:
    return hex_id[:12] if hex_id else "-"


def table(rows: list[list[str]], headers: list[str]) -> None:
    if not rows:
        return
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        click.echo(
            "  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        )


def progress(length: int, label: str, *, unit: str = ""):  # noqa: ANN201
    """A progress bar on standard error with the rate and the time left; ``unit="B"``
    shows sizes and bytes per second (e.g. "12.3 MiB/s")."""
    holder: list[Any] = []
    first: list[tuple[float, int]] = []  # when and where the bar first moved: the rate since

    def rate(_: Any) -> str:
        if not holder or not holder[0].pos:
            return ""
        if not first:
            first.append((time.monotonic(), holder[0].pos))
        elapsed = time.monotonic() - first[0][0]
        if elapsed < 0.2:
            return ""
        per_second = (holder[0].pos - first[0][1]) / elapsed
        if unit == "B":
            human = node.human
            return f"{human(holder[0].pos)}/{human(holder[0].length)}  {human(per_second)}/s"
        return f"{per_second:,.0f}/s"

    bar = click.progressbar(
        length=length,
        label=label,
        file=sys.stderr,
        show_pos=unit != "B",
        show_eta=True,
        item_show_func=rate,
    )
    holder.append(bar)
    return bar


def bar_when_asked(stack: contextlib.ExitStack, label: str, unit: str = "") -> Any:
    """``moved(done, total)``: shows a progress bar from its first call with a total on (closed
    with ``stack``), so nothing is drawn for work that turns out to be instant or cached. The
    total may grow as more work comes to light."""
    bars: list[Any] = []

    def moved(done: int, total: int) -> None:
        if total <= 0:
            return
        if not bars:
            bars.append(stack.enter_context(progress(total, label, unit=unit)))
        bar = bars[0]
        bar.length = max(bar.length, total)
        # Within 0 and the total, and never back: a count that goes down (a node that says 0
        # while it checks the finished file) or past the total (libtorrent's counter) must
        # not show more than 100%, nor stall the bar: click keeps a step back pending and
        # takes it off the steps forward that follow.
        target = min(max(done, 0), bar.length)
        if target > bar.pos:
            bar.update(target - bar.pos)

    return moved
