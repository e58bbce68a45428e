"""`communs blob …` as people use it: a progress bar that tells the truth, and hashes that
abbreviate as ids do."""

import hashlib
import json
import re
import time

import click._termui_impl
import pytest
from click.testing import CliRunner

from communs.cli.main import cli

MiB = 1024 * 1024


@pytest.fixture
def run(tmp_path):
    runner = CliRunner()
    home = tmp_path / "home"

    def invoke(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli, ["--home", str(home), *args])
        assert result.exit_code == code, (args, result.output, result.exception)
        return result.stdout if code == 0 else result.stderr

    invoke.home = home
    invoke.tmp = tmp_path
    return invoke


class _SwarmFetch:
    """A 50 MiB file coming over BitTorrent, reported as a node reports it: its bytes, then
    0 while the finished file is checked (as nodes before this fix said), one report past
    the size (libtorrent's counter), then done."""

    size = 50 * MiB
    reports = [
        ("fetching", 29 * MiB),
        ("fetching", 44 * MiB),
        ("verifying", 0),
        ("verifying", 0),
        ("fetching", 59_293_696),
        ("verifying", 0),
        ("done", 50 * MiB),
    ]

    def __init__(self):
        self.hash = hashlib.sha256(b"film").hexdigest()
        self.left = list(self.reports)

    def blob_fetch(self, blob, peers, progress=None, torrent=None):
        assert blob == self.hash
        return {"hash": blob, "state": "fetching", "done": 10 * MiB, "size": self.size}

    def blob_transfer(self, blob, wait=0.0):
        time.sleep(0.12)  # the bar shows sizes and rate once it has moved a moment
        state, done = self.left.pop(0)
        return {"hash": blob, "state": state, "done": done, "size": self.size, "via": "bittorrent"}

    def close(self):
        pass


def test_the_fetching_bar_never_passes_100_percent_nor_shows_negative_bytes(monkeypatch, tmp_path):
    from communs.cli import base

    fake = _SwarmFetch()
    monkeypatch.setattr(base.Context, "service", property(lambda self: fake))
    monkeypatch.setattr(click._termui_impl, "isatty", lambda stream: True)  # draw it
    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "blob", "get", fake.hash])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{fake.hash}  (bittorrent)\n"

    drawn = [line for line in re.split(r"[\r\n]", result.stderr) if "fetching" in line]
    assert drawn, result.stderr
    percents = [int(p) for line in drawn for p in re.findall(r"(-?\d+)%", line)]
    assert percents and all(0 <= p <= 100 for p in percents), drawn
    assert not re.search(r"-\d", result.stderr), drawn  # no negative bytes, nor rate
    sizes = [re.findall(r"(\S+ \S+)/50\.0 MiB", line) for line in drawn]
    assert [s for found in sizes for s in found], drawn  # the bar shows bytes of the total
    assert "100%" in drawn[-1] and "50.0 MiB/50.0 MiB" in drawn[-1], drawn[-1]


def test_blob_hashes_abbreviate_like_ids_and_say_which_files_share_a_prefix(run):
    run("id", "new", "--name", "anna")
    hashes = {}
    for index in range(40):  # 40 files: at least two share a first character
        path = run.tmp / f"note-{index}.txt"
        path.write_text(f"note {index}\n")
        hashes[run("blob", "add", str(path)).strip()] = path.name
    by_first: dict[str, list[str]] = {}
    for full in hashes:
        by_first.setdefault(full[0], []).append(full)
    shared = next(group for group in by_first.values() if len(group) > 1)
    unique = next(
        full[:6] for full in hashes if sum(other.startswith(full[:6]) for other in hashes) == 1
    )
    seed = ("--url", "http://127.0.0.1:8470")

    # A unique prefix names the file, for every command that takes a hash.
    full = next(h for h in hashes if h.startswith(unique))
    assert run("blob", "get", unique).startswith(f"{full}  (here)")
    magnet = json.loads(run("blob", "magnet", unique, *seed, "--json"))["magnet"]
    assert f"ws=http%3a%2f%2f127.0.0.1%3a8470%2fapi%2fblobs%2f{full}" in magnet
    written = run.tmp / "note.torrent"
    run("blob", "torrent", unique.upper(), str(written), *seed)
    assert written.stat().st_size > 0

    # A prefix of several is refused with them, told apart, and what to do.
    said = run("blob", "get", shared[0][0], code=2)
    assert f"'{shared[0][0]}' matches several files" in said and "give more characters" in said
    for each in sorted(shared)[:5]:
        assert each[:12] in said
    assert run("blob", "magnet", shared[0][0], *seed, code=2).count(shared[0][:12]) == 1

    # An unknown one says where to look, and that a whole hash can always be fetched.
    unknown = next(
        prefix
        for prefix in (f"{a}{b}{c}" for a in "0123456789abcdef" for b in "0123" for c in "01")
        if not any(h.startswith(prefix) for h in hashes)
    )
    said = run("blob", "get", unknown, code=1)
    assert (
        f"no file here nor among those the followed commons show has a hash starting with "
        f"'{unknown}'" in said
    )
    assert "communs blob list" in said and "whole hash" in said
    assert "communs blob list" in run("blob", "magnet", unknown, *seed, code=1)
    said = run("blob", "get", "xyz", code=2)
    assert "not a file hash" in said and "64 hexadecimal characters" in said
