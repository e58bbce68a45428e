"""Print the CLI reference in Markdown from the commands' own --help: docs/cli.md is made by
``python3 -m communs.cli.reference > docs/cli.md`` and a test keeps it from drifting."""

from collections.abc import Iterator

import click

from .main import cli


def commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, click.Command]]:
    for name in sorted(group.commands):
        command = group.commands[name]
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield " ".join((*path, name)), command


def reference() -> str:
    parts = [
        "# The `communs` command\n",
        "Generated from `--help` by `python3 -m communs.cli.reference > docs/cli.md`.\n",
        "```text",
        cli.get_help(
            click.Context(cli, info_name="communs", terminal_width=100, **cli.context_settings)
        ),
        "```\n",
    ]
    for name, command in commands(cli):
        with click.Context(
            command, info_name=f"communs {name}", terminal_width=100, **cli.context_settings
        ) as ctx:
            parts += [f"## communs {name}\n", "```text", command.get_help(ctx), "```\n"]
    return "\n".join(parts)


if __name__ == "__main__":
    print(reference(), end="")
