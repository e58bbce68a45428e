"""The communs command as people and scripts use it: ids printed, --json, exit codes."""

import io
import json
import tarfile

import pytest
from click.testing import CliRunner

from communs.cli.main import cli


@pytest.fixture
def run(tmp_path):
    runner = CliRunner()
    home = tmp_path / "home"

    def invoke(*args: str, code: int = 0, home_dir=home) -> str:
        result = runner.invoke(cli, ["--home", str(home_dir), *args])
        assert result.exit_code == code, (args, result.output, result.exception)
        return result.stdout

    invoke.home = home
    invoke.tmp = tmp_path
    return invoke


def write(run, name: str, text: str) -> str:
    path = run.tmp / name
    path.write_text(text)
    return str(path)


@pytest.fixture
def guide(run):
    """anna (maintainer) and bao; a review-first commons with one accepted file."""
    anna = run("id", "new", "--name", "anna").strip()
    bao = run("id", "new", "--name", "bao").strip()
    commons = run("commons", "create", "--name", "Trail guide", "--kind", "text").strip()
    first = run(
        "contribution",
        "propose",
        commons,
        "--title",
        "Draft",
        "--as",
        "bao",
        "--put",
        "guide.md=" + write(run, "g1.md", "one\ntwo\nthree\n"),
    ).strip()
    run("contribution", "accept", commons, first)
    return {"anna": anna, "bao": bao, "commons": commons, "first": first}


def test_identities_are_did_keys_and_listed(run):
    did = run("id", "new", "--name", "anna").strip()
    assert did.startswith("did:key:z6Mk")
    listed = json.loads(run("id", "list", "--json"))
    assert listed == [{"name": "anna", "did": did, "encrypted": False, "default": True}]
    run("id", "new", "--name", "anna", code=1)


def test_create_prints_id_and_show_json(run):
    run("id", "new", "--name", "anna")
    created = json.loads(run("commons", "create", "--name", "Songs", "--json"))
    info = json.loads(run("commons", "show", created["id"][:6], "--json"))
    assert info["id"] == created["id"] and info["name"] == "Songs"
    assert info["events"] == 2  # genesis and anna's signed display name
    assert len(info["heads"]) == 1 and len(info["state_digest"]) == 64


def test_propose_accept_and_read_artifacts(run, guide):
    c = guide["commons"]
    items = json.loads(run("contribution", "list", c, "--json"))
    assert [(i["id"], i["title"], i["author"], i["state"]) for i in items] == [
        (guide["first"], "Draft", guide["bao"], "accepted")
    ]
    assert run("artifact", "show", c, "guide.md") == "one\ntwo\nthree\n"
    history = json.loads(run("artifact", "history", c, "guide.md", "--json"))
    assert [h["action"] for h in history] == ["accept"]
    assert [a["path"] for a in json.loads(run("artifact", "list", c, "--json"))] == ["guide.md"]


def test_non_maintainer_accept_is_refused_and_changes_nothing(run, guide):
    c = guide["commons"]
    second = run(
        "contribution",
        "propose",
        c,
        "--title",
        "More",
        "--put",
        "guide.md=" + write(run, "g2.md", "one\ntwo\nthree\nfour\n"),
    ).strip()
    before = json.loads(run("commons", "show", c, "--json"))
    result = CliRunner().invoke(
        cli, ["--home", str(run.home), "--as", "bao", "contribution", "accept", c, second[:8]]
    )
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "only maintainers" in result.stderr
    after = json.loads(run("commons", "show", c, "--json"))
    assert after["state_digest"] == before["state_digest"] and after["events"] == before["events"]


def test_usage_errors_exit_2(run, guide):
    c = guide["commons"]
    run("contribution", "reject", c, guide["first"], code=2)  # --reason is required
    run("contribution", "propose", c, "--title", "x", code=2)  # nothing to propose
    run("contribution", "propose", c, "--title", "x", "--put", "no-equals-sign", code=2)
    run("contribution", "show", c, "zz", code=2)


def test_unknown_commons_is_refused_with_a_hint(run, guide):
    result = CliRunner().invoke(cli, ["--home", str(run.home), "commons", "show", "ffff0000"])
    assert result.exit_code == 1 and "communs commons list" in result.stderr


def test_reject_revert_withdraw_review(run, guide):
    c = guide["commons"]
    spam = run(
        "contribution",
        "propose",
        c,
        "--title",
        "Ads",
        "--as",
        "bao",
        "--put",
        "ads.md=" + write(run, "ads.md", "buy\n"),
    ).strip()
    run("contribution", "review", c, spam, "--request-changes", "--comment", "no ads")
    run("contribution", "reject", c, spam, "--reason", "advertising")
    shown = json.loads(run("contribution", "show", c, spam, "--json"))
    assert shown["state"] == "rejected" and shown["reason"] == "advertising"
    assert shown["reviews"][0]["verdict"] == "request_changes"
    run("contribution", "revert", c, guide["first"], "--reason", "too early")
    assert json.loads(run("artifact", "list", c, "--json")) == []
    draft = run(
        "contribution",
        "propose",
        c,
        "--title",
        "Draft 2",
        "--as",
        "bao",
        "--put",
        "x.md=" + write(run, "x.md", "x\n"),
    ).strip()
    run("contribution", "withdraw", c, draft, code=1)  # only its author
    run("contribution", "withdraw", c, draft, "--as", "bao")
    states = {i["title"]: i["state"] for i in json.loads(run("contribution", "list", c, "--json"))}
    assert states == {"Draft": "reverted", "Ads": "rejected", "Draft 2": "withdrawn"}


def test_base_moved_merges_cleanly_or_refuses(run, guide):
    c = guide["commons"]
    top = run(
        "contribution",
        "propose",
        c,
        "--title",
        "Top",
        "--put",
        "guide.md=" + write(run, "a.md", "ONE\ntwo\nthree\n"),
    ).strip()
    bottom = run(
        "contribution",
        "propose",
        c,
        "--title",
        "Bottom",
        "--as",
        "bao",
        "--put",
        "guide.md=" + write(run, "b.md", "one\ntwo\nTHREE\n"),
    ).strip()
    clash = run(
        "contribution",
        "propose",
        c,
        "--title",
        "Clash",
        "--as",
        "bao",
        "--put",
        "guide.md=" + write(run, "c.md", "uno\ntwo\nthree\n"),
    ).strip()
    run("contribution", "accept", c, top)
    run("contribution", "accept", c, bottom)
    assert run("artifact", "show", c, "guide.md") == "ONE\ntwo\nTHREE\n"
    result = CliRunner().invoke(cli, ["--home", str(run.home), "contribution", "accept", c, clash])
    assert result.exit_code == 1 and "conflict on guide.md" in result.stderr
    assert json.loads(run("contribution", "show", c, clash, "--json"))["base_moved"] == ["guide.md"]
    run(
        "contribution",
        "revise",
        c,
        clash,
        "--as",
        "bao",
        "--put",
        "guide.md=" + write(run, "d.md", "uno\ntwo\nTHREE\n"),
    )
    run("contribution", "accept", c, clash)
    assert run("artifact", "show", c, "guide.md") == "uno\ntwo\nTHREE\n"


def test_threshold_two_needs_two_maintainers(run):
    anna = run("id", "new", "--name", "anna").strip()
    chloe = run("id", "new", "--name", "chloe").strip()
    c = run(
        "commons",
        "create",
        "--name",
        "Maps",
        "--maintainer",
        anna,
        "--maintainer",
        chloe,
        "--threshold",
        "2",
    ).strip()
    p = run(
        "contribution",
        "propose",
        c,
        "--title",
        "Legend",
        "--put",
        "legend.md=" + write(run, "l.md", "legend\n"),
    ).strip()
    run("contribution", "accept", c, p)
    assert json.loads(run("contribution", "show", c, p, "--json"))["state"] == "open"
    run("contribution", "accept", c, p, code=1)  # the same maintainer twice counts once
    run("contribution", "accept", c, p, "--as", "chloe")
    assert json.loads(run("contribution", "show", c, p, "--json"))["state"] == "accepted"


def test_publish_first_patrol_and_revert(run):
    run("id", "new", "--name", "anna")
    run("id", "new", "--name", "bao")
    c = run("commons", "create", "--name", "Wiki", "--mode", "publish").strip()
    p = run(
        "contribution",
        "propose",
        c,
        "--title",
        "Page",
        "--as",
        "bao",
        "--put",
        "page.md=" + write(run, "p.md", "hello\n"),
    ).strip()
    assert run("artifact", "show", c, "page.md") == "hello\n"
    run("contribution", "patrol", c, p)
    run("contribution", "patrol", c, p, code=1)
    run("contribution", "revert", c, p, "--reason", "off topic")
    assert json.loads(run("contribution", "show", c, p, "--json"))["state"] == "reverted"


def test_maintainers_change_with_threshold(run, guide):
    c = guide["commons"]
    run("maintainer", "add", c, guide["bao"])
    maintainers = json.loads(run("commons", "show", c, "--json"))["maintainers"]
    assert sorted(m["name"] for m in maintainers) == ["anna", "bao"]
    run("maintainer", "remove", c, guide["anna"], "--as", "bao")
    run("maintainer", "add", c, guide["anna"], code=1)  # anna is no longer a maintainer


def test_fork_lineage_and_propose_back(run, guide):
    c = guide["commons"]
    fork = run("fork", c, "--name", "Guide (Breton)", "--as", "bao").strip()
    assert run("artifact", "show", fork, "guide.md") == "one\ntwo\nthree\n"
    change = run(
        "contribution",
        "propose",
        fork,
        "--title",
        "Unan",
        "--as",
        "bao",
        "--put",
        "guide.md=" + write(run, "br.md", "unan\ntwo\nthree\n"),
    ).strip()
    run("contribution", "accept", fork, change, "--as", "bao")
    back = json.loads(
        run(
            "contribution",
            "propose",
            fork,
            "--to-parent",
            "--title",
            "Breton",
            "--as",
            "bao",
            "--json",
        )
    )
    assert back["commons"] == c
    run("contribution", "accept", c, back["id"])
    assert run("artifact", "show", c, "guide.md") == "unan\ntwo\nthree\n"
    lineage = json.loads(run("commons", "lineage", fork, "--json"))
    assert [a["id"] for a in lineage["ancestors"]] == [c]
    assert [f["id"] for f in json.loads(run("commons", "lineage", c, "--json"))["forks"]] == [fork]
    assert json.loads(run("commons", "show", c, "--json"))["forks"] == [fork]


def test_export_import_same_digest_and_tampering_refused(run, guide, tmp_path):
    c = guide["commons"]
    fork = run("fork", c, "--name", "Fork")
    fork = fork.strip()
    exported = tmp_path / "fork.communs"
    run("commons", "export", fork, str(exported))
    digest = json.loads(run("commons", "show", fork, "--json"))["state_digest"]
    fresh = tmp_path / "fresh"
    imported = json.loads(run("commons", "import", str(exported), "--json", home_dir=fresh))
    assert imported["id"] == fork
    assert (
        json.loads(run("commons", "show", fork, "--json", home_dir=fresh))["state_digest"] == digest
    )
    assert run("artifact", "show", fork, "guide.md", home_dir=fresh) == "one\ntwo\nthree\n"
    # The parent came along: lineage is known in the new home too.
    assert json.loads(run("commons", "lineage", fork, "--json", home_dir=fresh))["ancestors"][0][
        "name"
    ]

    for target in ("events/", "blobs/"):
        tampered = tmp_path / f"tampered-{target[:-1]}.communs"
        flip_one_byte(exported, tampered, target)
        other = tmp_path / f"other-{tampered.stem}"
        run("commons", "import", str(tampered), code=1, home_dir=other)
        assert json.loads(run("commons", "list", "--json", home_dir=other)) == []


def flip_one_byte(source, target, prefix: str) -> None:
    """Copy an export, flipping one bit in the middle of the first member under prefix."""
    done = False
    with tarfile.open(source) as src, tarfile.open(target, "w") as out:
        for member in src:
            data = bytearray(src.extractfile(member).read())
            if member.name.startswith(prefix) and not done:
                data[len(data) // 2] ^= 0x01
                done = True
            out.addfile(member, io.BytesIO(bytes(data)))
    assert done


def test_encrypted_identity_needs_its_passphrase(run, tmp_path):
    secret = tmp_path / "pass"
    secret.write_text("correct horse\n")
    runner = CliRunner()
    base = ["--home", str(run.home)]
    assert (
        runner.invoke(
            cli,
            [*base, "--passphrase-file", str(secret), "id", "new", "--name", "anna", "--encrypt"],
        ).exit_code
        == 0
    )
    refused = runner.invoke(cli, [*base, "commons", "create", "--name", "X"])
    assert refused.exit_code == 1 and "passphrase" in refused.stderr
    secret.write_text("wrong\n")
    wrong = runner.invoke(
        cli, [*base, "--passphrase-file", str(secret), "commons", "create", "--name", "X"]
    )
    assert wrong.exit_code == 1 and "wrong passphrase" in wrong.stderr
    secret.write_text("correct horse\n")
    ok = runner.invoke(
        cli, [*base, "--passphrase-file", str(secret), "commons", "create", "--name", "X"]
    )
    assert ok.exit_code == 0, ok.output


def test_demo_builds_every_state_and_is_idempotent(run):
    made = json.loads(run("demo", "--json"))
    guide = made["commons"][0]
    assert set(guide["contributions"]) >= {"accepted", "open", "rejected", "withdrawn", "reverted"}
    log = json.loads(run("commons", "log", guide["id"], "--json"))
    assert any(not e["effective"] for e in log)
    types = {e["type"] for e in log}
    assert {"task.validate", "task.signal", "thread.post"} <= types
    assert not [e["summary"] for e in log if e["type"] in e["summary"]]  # all read as sentences
    assert any(c["summary"].endswith(guide["id"][:12]) for c in made["commons"])
    assert json.loads(run("demo", "--json")) == made


class _SlowFollow:
    """A service whose follow pulls 300 events in three steps, as a node cloning would."""

    def __init__(self, steps: int, pause: float):
        self.steps, self.pause, self.done = steps, pause, 0

    def follow(self, target):
        import time

        for _ in range(self.steps):
            time.sleep(self.pause)
            self.done += 100
        return {"id": "ab" * 32, "peer": "http://127.0.0.1:1", "pulled": self.done}

    def pulls(self):
        pull = {"peer": "http://127.0.0.1:1", "commons": "ab" * 32, "total": 300}
        return [{**pull, "done": self.done}] if self.done < 100 * self.steps else []


@pytest.mark.parametrize(("steps", "pause", "drawn"), [(3, 0.2, True), (1, 0.0, False)])
def test_follow_draws_a_progress_bar_only_for_long_pulls(
    monkeypatch, tmp_path, steps, pause, drawn
):
    from communs.cli import base, peers

    monkeypatch.setattr(peers, "QUIET_FOR", 0.1)
    monkeypatch.setattr(peers, "POLL", 0.05)
    fake = _SlowFollow(steps, pause)
    monkeypatch.setattr(base.Context, "service", property(lambda self: fake))
    result = CliRunner().invoke(cli, ["--home", str(tmp_path), "follow", "communs://x"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "ab" * 32 + "\n"
    assert ("fetching events" in result.stderr) is drawn
    assert f"{100 * steps} events fetched" in result.stderr


def test_following_from_a_peer_that_is_down_says_which_and_what_to_do(run):
    import socket

    run("id", "new", "--name", "anna")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    link = f"communs://{'ab' * 32}?peer=127.0.0.1:{port}"
    result = CliRunner().invoke(cli, ["--home", str(run.home), "follow", link])
    assert result.exit_code == 1, result.output
    assert f"the peer http://127.0.0.1:{port} did not answer" in result.stderr
    assert "is its node running at that address?" in result.stderr
    assert "on this home" not in result.stderr  # no node runs here: it is not the one


def test_the_command_line_loads_the_node_only_for_commands_that_use_it():
    """`communs --help` and `--version` answer without the node, HTTP or image libraries;
    `benchmarks/bench_cli.py` measures what this saves."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from communs.cli.main import cli\n"
        "try:\n"
        "    cli(['--help'], prog_name='communs')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ['communs.node.service', 'communs.node.home.folder', 'httpx', 'PIL', 'mutagen']\n"
        "print('loaded:', [m for m in heavy if m in sys.modules])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert "Commands:" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "loaded: []"


def test_a_command_loads_its_own_group_and_the_domain_only_when_it_needs_them(run, guide):
    """Start-up (benchmarks/bench_cli.py): `--version` and `--help` load no domain, and a
    read loads the module of its own group, not those of the other groups."""
    import subprocess
    import sys

    def loaded(*args: str) -> list[str]:
        probe = (
            "import json, sys\n"
            "from communs.cli.main import cli\n"
            "try:\n"
            f"    cli({list(args)!r}, prog_name='communs')\n"
            "except SystemExit:\n"
            "    pass\n"
            "print(json.dumps([m for m in sys.modules if m.startswith('communs.')]))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    groups = [f"communs.cli.{m}" for m in ("blobs", "contributions", "governance", "peers")]
    groups += ["communs.cli.tasks", "communs.cli.threads"]
    for args in (["--version"], ["--help"], ["commons", "--help"]):
        assert not [m for m in loaded(*args) if m.startswith("communs.domain")], args
    assert not set(groups) & set(loaded("--version"))
    home = ["--home", str(run.home)]
    assert not set(groups) & set(loaded(*home, "commons", "list"))
    assert set(groups) & set(loaded(*home, "task", "list", guide["commons"])) == {
        "communs.cli.tasks"
    }


def test_a_damaged_or_cut_export_is_refused_whole_in_plain_words(run, guide, tmp_path):
    exported = tmp_path / "guide.communs"
    run("commons", "export", guide["commons"], str(exported))
    data = exported.read_bytes()
    with tarfile.open(exported) as tar:
        last = tar.getmembers()[-1]
    # Cut in the headers, the events and the last file (the end is only padding).
    for end in (len(data) // 10, len(data) // 2, last.offset_data + last.size // 2):
        cut = tmp_path / f"cut-{end}.communs"
        cut.write_bytes(data[:end])
        other = tmp_path / f"other-{end}"
        result = CliRunner().invoke(cli, ["--home", str(other), "commons", "import", str(cut)])
        assert result.exit_code == 2, (end, result.output, result.exception)
        assert "nothing was imported" in result.stderr, result.stderr
        assert "damaged or incomplete" in result.stderr or "is incomplete" in result.stderr
        assert json.loads(run("commons", "list", "--json", home_dir=other)) == []


def test_ctrl_c_exits_130_and_says_how_to_go_on(run, guide):
    """SIGINT during a long command (a sync with a peer that never answers) ends it with 130
    and a word on what was kept, not click's bare "Aborted!" and 1."""
    import signal
    import socket
    import subprocess
    import sys

    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        peer = f"http://127.0.0.1:{silent.getsockname()[1]}"
        process = subprocess.Popen(
            [sys.executable, "-m", "communs", "--home", str(run.home), "sync", "--peer", peer],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            silent.settimeout(60)
            asking, _ = silent.accept()  # the sync is under way, waiting for the peer
            with asking:
                process.send_signal(signal.SIGINT)
                _, err = process.communicate(timeout=60)
        finally:
            process.kill()
    assert process.returncode == 130, err
    assert "run the same command again" in err and "Aborted!" not in err


def test_links_magnets_and_torrents_answer_in_json_too(run, guide, tmp_path):
    link = json.loads(run("commons", "link", guide["commons"], "--json"))["link"]
    assert link == run("commons", "link", guide["commons"]).strip()
    assert link.startswith(f"communs://{guide['commons']}")
    blob = json.loads(run("blob", "list", "--json"))[0]["hash"]
    seed = ("--url", "http://127.0.0.1:8470")  # no node runs: say where it will serve
    magnet = json.loads(run("blob", "magnet", blob, *seed, "--json"))["magnet"]
    assert magnet == run("blob", "magnet", blob, *seed).strip() and magnet.startswith("magnet:?")
    target = tmp_path / "file.torrent"
    written = json.loads(run("blob", "torrent", blob, str(target), *seed, "--json"))
    assert written == {"file": str(target), "bytes": target.stat().st_size}


def test_every_command_takes_home_and_as_after_its_name():
    """People type `communs status --home DIR` as often as `communs --home DIR status`."""
    import click

    from communs.cli.reference import commands

    lacking = [
        name
        for name, command in commands(cli)
        if not isinstance(command, click.Group)
        and not {"--home", "--as"} <= {o for p in command.params for o in p.opts}
    ]
    assert lacking == []
