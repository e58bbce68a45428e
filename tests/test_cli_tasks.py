"""The task board and discussion from the terminal: ids printed, --json, one-line refusals
with exit 1, usage errors with exit 2; objects named as commons, task:ID, file:PATH…; the
commons left out when the home holds one."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from communs.cli.main import cli
from communs.node.client import HttpService
from communs.node.home.folder import Actor
from communs.node.home.lock import ensure_token
from nodes import Nodes


@pytest.fixture
def run(tmp_path):
    """``communs --home TMP ARGS``: its standard output, once its exit code is ``code``;
    ``run.error`` holds the last standard error."""
    runner = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(cli, ["--home", str(tmp_path / "home"), *args])
        assert result.exit_code == code, (args, result.output, result.exception)
        run.error = result.stderr
        return result.stdout.strip()

    return run


@pytest.fixture
def guide(run):
    """anna maintains the one commons of the home; bao takes part."""
    anna = run("id", "new", "--name", "anna")
    bao = run("id", "new", "--name", "bao")
    commons = run("commons", "create", "--name", "Trail guide")
    return {"anna": anna, "bao": bao, "commons": commons}


def test_a_task_goes_from_open_to_validated_and_self_validation_is_refused(run, guide):
    c = guide["commons"]
    tid = run("task", "open", c, "--title", "Map the north trail", "--description", "lake up")
    assert len(tid) == 64
    assert run("task", "list", c).splitlines()[1].split()[:2] == [tid[:12], "open"]
    run("task", "claim", c, tid[:6], "--as", "bao")
    [listed] = json.loads(run("task", "list", c, "--state", "claimed", "--json"))
    assert (listed["id"], listed["claimed_by"]) == (tid, guide["bao"])
    assert json.loads(run("task", "list", c, "--state", "open", "--json")) == []
    run("task", "done", c, tid[:6], "--as", "bao", "--comment", "mapped")

    assert run("task", "validate", c, tid[:6], "--as", "bao", code=1) == ""
    assert run.error == "error: you cannot validate your own work\n"
    done = json.loads(run("task", "show", c, tid[:6], "--json"))
    assert done["state"] == "done" and done["doer"] == guide["bao"]

    made = json.loads(run("task", "validate", c, tid[:6], "--comment", "great", "--json"))
    assert made["state"] == "validated"
    shown = run("task", "show", c, tid[:6])
    assert shown.startswith(f"Map the north trail  [validated]  ({tid})")
    assert "validated by anna: great" in shown and "bao done — mapped" in shown
    run("task", "list", c, "--state", "lost", code=2)


def test_invalid_work_needs_a_reason_and_signals_name_their_object(run, guide):
    c = guide["commons"]
    tid = run("task", "open", c, "--title", "Photograph the bridge")
    run("task", "done", c, tid, "--as", "bao")
    run("task", "invalidate", c, tid, code=2)  # --comment is required
    run("task", "invalidate", c, tid, "--comment", "blurry")
    run("task", "signal", c, tid[:6], "urgent", "--as", "bao")
    run("task", "signal", c, f"task:{tid[:6]}", "urgent", "--as", "bao", code=1)
    assert "one signal of a kind each" in run.error
    run("task", "signal", c, "file:maps/north.md", "needed")
    run("task", "signal", c, "commons", "needed", code=2)
    board = json.loads(run("task", "board", c, "--json"))["items"]
    assert [(i["kind"], i["target"]) for i in board] == [
        ("invalidated", f"task/{tid}"),
        ("signal", "artifact/maps/north.md"),
    ]
    run("task", "reopen", c, tid)
    assert json.loads(run("task", "show", c, tid, "--json"))["state"] == "open"


def test_comments_replies_edits_retraction_and_hiding(run, guide):
    tid = run("task", "open", guide["commons"], "--title", "Write the intro")
    first = run("comment", f"task:{tid[:6]}", "I can do it", "--as", "bao")
    reply = run("comment", f"task:{tid[:6]}", "Go ahead", "--reply-to", first[:8])
    run("comment", "edit", first[:8], "I can do it this week", "--as", "bao")
    run("comment", "edit", first[:8], "no", code=1)
    assert run.error == "error: only the author of a message can edit it\n"
    run("comment", "retract", reply[:8])
    hello = run("comment", "commons", "Hello all", "--as", "bao")
    run("comment", "hide", hello[:8], "--reason", "noise", "--as", "bao", code=1)
    assert "only maintainers can hide messages" in run.error
    run("comment", "hide", hello[:8], "--reason", "off topic")
    run("comment", "react", first[:8], "👍")

    thread = json.loads(run("thread", "show", f"task:{tid[:6]}", "--json"))
    assert [(m["id"], m["depth"], m["text"]) for m in thread["messages"]] == [
        (first, 0, "I can do it this week"),
        (reply, 1, ""),
    ]
    text = run("thread", "show", guide["commons"], f"task:{tid[:6]}").splitlines()
    assert text[0].startswith(f"{first[:12]}  bao  ") and text[0].endswith("(edited 1×)")
    assert text[1:3] == ["  I can do it this week", "  👍 1"]
    assert text[4] == "    [retracted by its author]"
    assert "[hidden by anna: off topic]" in run("thread", "show", "commons")


def test_objects_and_the_commons_are_named_or_the_command_says_how(run, guide):
    run("comment", "nothing", "hi", code=2)
    run("comment", "task:", "hi", code=2)
    run("thread", "show", "person:anna", code=2)  # not a DID: refused by the node, as input
    assert "is not a person" in run.error
    person = run("comment", guide["anna"], "Welcome!", "--as", "bao")
    on_anna = json.loads(run("thread", "show", f"person:{guide['anna']}", "--json"))
    assert [m["id"] for m in on_anna["messages"]] == [person]
    run("comment", "file:guide.md", "Shorter intro?")
    assert run("thread", "show", "file:guide.md").splitlines()[1] == "  Shorter intro?"

    other = run("commons", "create", "--name", "Atlas")
    run("comment", "commons", "Which one?", code=2)
    assert "this home holds 2 commons" in run.error
    run("comment", other, "commons", "Hello, atlas")
    [message] = json.loads(run("thread", "show", other, "commons", "--json"))["messages"]
    assert message["text"] == "Hello, atlas"
    run("comment", "retract", message["id"][:8], code=2)  # which commons?
    run("comment", "retract", other, message["id"][:8])


def test_the_accept_policy_is_shown_and_a_decision_rule_can_be_challenged(run, guide):
    c = guide["commons"]
    accept, quota = run("commons", "policy", c).splitlines()
    assert accept == "anyone"
    assert quota == (
        "from each author without accepted work: at most 1000 events and 4.0 MiB an hour"
    )
    run("commons", "policy", c, "--stranger-events", "50", "--stranger-bytes", "1MiB")
    assert json.loads(run("commons", "policy", c, "--json"))["stranger_events"] == 50
    run("commons", "policy", c, "--accept", "maintainers")
    assert json.loads(run("commons", "policy", c, "--json"))["accept"] == "maintainers"

    opened = run(
        "proposal", "open", c, "--kind", "charter", "--title", "Edits by majority",
        "--set-rule", "contribution=majority", "--closes-in", "0",
    )  # fmt: skip
    effect = json.loads(run("proposal", "show", c, opened, "--json"))["effect"]
    assert (effect["op"], effect["kind"]) == ("set_rule", "contribution")
    assert effect["rule"]["method"]["name"] == "majority"
    run("proposal", "vote", c, opened, "yes")
    run("proposal", "close", c, opened)
    rules = json.loads(run("charter", "show", c, "--json"))["rules"]
    assert rules["contribution"]["method"]["name"] == "majority"
    shown = run("charter", "show", c)  # for people: sentences, no Python values
    assert "contribution: proposals from anyone, decided by anyone (majority)\n" in shown
    assert "charter: proposals from anyone, decided by maintainers (k of n), the default" in shown
    assert "None" not in shown and "['" not in shown and "forked from" not in shown
    run("proposal", "open", c, "--kind", "charter", "--title", "x", "--set-rule", "nope", code=2)
    run("proposal", "open", c, "--title", "x", "--set", "colour=blue", code=2)
    assert "claim_hours, half_life_hours" in run.error  # the fields it could have been


def communs(home, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "communs", "--home", str(home), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_through_a_running_node_errors_keep_their_exit_codes(tmp_path):
    """The CLI goes through the node running on the home: the node names each error's kind,
    so a refusal still exits 1 with the fold's reason and an ambiguous id exits 2."""
    with Nodes(tmp_path) as nodes:
        node = nodes.new("a")
        node.cli("id", "new", "--name", "anna")
        node.cli("id", "new", "--name", "bao")
        commons = node.cli("commons", "create", "--name", "guide").strip()
        node.start()
        tid = node.cli("task", "open", commons, "--title", "Map").strip()
        node.cli("task", "done", commons, tid[:6], "--as", "bao")
        mine = communs(node.home, "task", "validate", commons, tid[:6], "--as", "bao")
        assert (mine.returncode, mine.stderr) == (1, "error: you cannot validate your own work\n")

        # Seventeen tasks in all: two of them share a first hex digit.
        api = HttpService(node.url, ensure_token(node.home))
        ids = [tid] + [api.task_open(Actor(), commons, f"Task {n}")["id"] for n in range(16)]
        api.close()
        shared = next(i[0] for i in ids if sum(j[0] == i[0] for j in ids) > 1)
        several = communs(node.home, "task", "show", commons, shared)
        assert several.returncode == 2 and "matches several tasks" in several.stderr
        assert communs(node.home, "comment", "task:" + tid[:6], "Nice").returncode == 0
