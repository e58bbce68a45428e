"""What every command shares: the home, the acting identity, output, and errors at the edge."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import node  # its parts load when first used: a command loads only what it needs
from ..core.errors import Ambiguous, BadInput, CommunsError

if TYPE_CHECKING:
    import httpx

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
        if value is not None:
            setattr(ctx.find_object(Context), attribute, value)
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


def _unanswered(ctx: click.Context, error: httpx.HTTPError) -> str:
    """Who did not answer — the node running on this home, or another node — and what to do."""
    try:
        asked = str(error.request.url)
    except RuntimeError:  # no request attached
        asked = ""
    node = getattr(getattr(ctx.obj, "_service", None), "url", None)  # set through a node
    if node is not None and (not asked or asked.startswith(node)):
        return (
            f"the node running on this home did not answer ({error}); "
            "is it still running? 'communs status' tells"
        )
    who = asked or "a node"
    return f"{who} did not answer ({error}): check the address, and that its node is running"


class CommunsGroup(click.Group):
    """Turns a CommunsError into one line on stderr: exit 1 for a refused action, 2 for
    input that cannot be used as given."""

    command_class = CommunsCommand
    group_class = type  # subgroups are CommunsGroups too

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CommunsError as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(2 if isinstance(error, BadInput | Ambiguous) else 1)
        except KeyboardInterrupt:
            # Every write is a transaction: what finished is stored, nothing is half-kept.
            click.echo(
                "\ninterrupted: what was done before is kept, nothing half-done is; run the "
                "same command again to go on",
                err=True,
            )
            # Straight out: the threads an interrupted command leaves (a transfer, a sync)
            # must not run on while the interpreter tears down, which can crash it.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)
        except Exception as error:
            httpx = sys.modules.get("httpx")  # loaded by whatever talked to a node
            if httpx is None or not isinstance(error, httpx.HTTPError):
                raise
            click.echo(f"error: {_unanswered(ctx, error)}", err=True)
            ctx.exit(1)


def json_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--json`` on every read: machines get JSON, people get text."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for programs.")(command)


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def created(as_json: bool, new_id: bytes | str, what: str, **extra: Any) -> None:
    """A command that creates something prints its id (with --json: an object with ``id``)."""
    ident = new_id.hex() if isinstance(new_id, bytes) else new_id
    if as_json:
        emit_json({"id": ident, **extra})
    else:
        click.echo(ident)
        if sys.stderr.isatty():
            click.echo(f"{what} created", err=True)


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
        if not total:
            return
        if not bars:
            bars.append(stack.enter_context(progress(total, label, unit=unit)))
        bar = bars[0]
        bar.length = max(bar.length, total, done)
        bar.update(done - bar.pos)

    return moved
