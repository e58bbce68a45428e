"""Print the CLI reference in Markdown from the commands' own --help: docs/cli.md is made by
``python3 -m communs.cli.reference > docs/cli.md`` and a test keeps it from drifting."""

from collections.abc import Iterator

import click

from .main import cli

COMPLETION = """## Shell completion

The shell completes commands, options, and the commons of the home wherever a command takes
one (by name or id: `communs commons show Tr<Tab>`). The script is click's; enable it once:

```sh
# bash (4.4 or later), in ~/.bashrc:
eval "$(_COMMUNS_COMPLETE=bash_source communs)"
# zsh, in ~/.zshrc:
eval "$(_COMMUNS_COMPLETE=zsh_source communs)"
# fish, once:
_COMMUNS_COMPLETE=fish_source communs > ~/.config/fish/completions/communs.fish
```

For a quicker shell start, write the bash or zsh script to a file once and source that file
instead (`_COMMUNS_COMPLETE=bash_source communs > ~/.communs-complete.bash`). Commons are read
from `--home` as typed on the line being completed, else `$COMMUNS_HOME`.
"""


def commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, click.Command]]:
    """Every command below ``group`` with its full name, its module loaded if need be."""
    with click.Context(group, info_name="communs") as ctx:
        found = {name: group.get_command(ctx, name) for name in group.list_commands(ctx)}
    for name, command in sorted(found.items()):
        assert command is not None, f"communs {' '.join((*path, name))} cannot be loaded"
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
        COMPLETION,
    ]
    for name, command in commands(cli):
        with click.Context(
            command, info_name=f"communs {name}", terminal_width=100, **cli.context_settings
        ) as ctx:
            parts += [f"## communs {name}\n", "```text", command.get_help(ctx), "```\n"]
    return "\n".join(parts)


if __name__ == "__main__":
    print(reference(), end="")
