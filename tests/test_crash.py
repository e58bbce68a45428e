"""A node killed (SIGKILL) in the middle of a large ingest loses nothing it acknowledged.

A child process ingests pre-generated events into a SQLite file in small batches and prints
the ids of each batch once its transaction has committed. The parent kills it after a few
batches, reopens the store, and checks: the database is intact, every acknowledged event is
there, and the persisted state is exactly the reference fold of the events present. Ingesting
everything again then completes the commons.
"""

import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from communs import domain
from communs.node.writing.ingest import Ingestor
from communs.store import SQLiteStore

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

from workload import generate, write_events  # noqa: E402

EVENTS = 20_000
BATCH = 400  # events per transaction in the child: many acknowledgements before the kill
KILL_AFTER = 8  # acknowledged batches
DEADLINE = 60.0  # seconds, for the whole exchange with the child

CHILD = """
import sys
sys.path.insert(0, sys.argv[3])
from communs.core.events import event_id
from communs.node.writing import ingest
from communs.store import SQLiteStore
from workload import read_events

ingest.BATCH, ingest.CHUNK = {batch}, 100
raws = read_events(sys.argv[1])
store = SQLiteStore(sys.argv[2])
ingestor = ingest.Ingestor(store)

def acknowledge(added):
    sys.stdout.write(" ".join(event_id(raw).hex() for _, raw in added) + "\\n")
    sys.stdout.flush()

ingestor.ingest(raws, committed=acknowledge)
sys.stdout.write("done\\n")
sys.stdout.flush()
"""


def _digest(store: SQLiteStore, cid: int) -> str:
    return domain.state_digest(store.raw_records(cid), store.ineffective(cid))


def _reference(raws: list[bytes]) -> str:
    return domain.fold([domain.parse(raw, verify_signature=False) for raw in raws]).digest()


@pytest.mark.slow
def test_sigkill_during_ingest_keeps_acknowledged_batches(tmp_path: Path) -> None:
    workload = generate(EVENTS, seed=7)
    by_id = dict(zip(workload.ids, workload.raws, strict=True))
    events_file, db_path = tmp_path / "events.bin", tmp_path / "node.db"
    write_events(events_file, workload.raws)

    lines: queue.Queue[str | None] = queue.Queue()
    with open(tmp_path / "child.err", "wb") as errors:
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                CHILD.format(batch=BATCH),
                str(events_file),
                str(db_path),
                str(BENCHMARKS),
            ],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
    assert child.stdout is not None

    def read() -> None:
        # A line cut short by the kill (no newline) is not an acknowledgement.
        for line in child.stdout:  # type: ignore[union-attr]
            if line.endswith("\n"):
                lines.put(line.strip())
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    acknowledged: list[bytes] = []
    batches = 0
    finished = False
    deadline = time.monotonic() + DEADLINE
    try:
        while batches < KILL_AFTER:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no acknowledgement from the child within {DEADLINE:.0f} s")
            if line is None or line == "done":
                finished = True
                break
            acknowledged += [bytes.fromhex(h) for h in line.split()]
            batches += 1
        # Kill it while it works on a following batch: in the middle of a transaction, or
        # between two, depending on the moment.
        time.sleep(random.uniform(0, 0.05))
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=DEADLINE)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        reader.join(timeout=10)
        child.stdout.close()
    # Whatever it printed before dying was acknowledged too.
    while True:
        try:
            line = lines.get_nowait()
        except queue.Empty:
            break
        if line and line != "done":
            acknowledged += [bytes.fromhex(h) for h in line.split()]
    err = (tmp_path / "child.err").read_text()
    assert not finished, f"the child ended before it was killed: {err}"
    assert child.returncode == -signal.SIGKILL, err
    assert acknowledged, err

    store = SQLiteStore(db_path)
    try:
        assert store.db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert store.known(acknowledged) == set(acknowledged), "an acknowledged event was lost"
        cid = store.commons_cid(workload.genesis_id)
        assert cid is not None
        present = [
            row[0] for row in store.db.execute("SELECT id FROM events WHERE cid = ?", (cid,))
        ]
        assert len(present) >= len(acknowledged)
        assert len(present) < len(workload.raws), "the kill came after the end of the ingest"
        assert store.commons_rows()[0]["events"] == len(present)
        assert store.pending_count() == 0  # events came in causal order
        # The persisted fold is exactly the fold of the events present, no more, no less.
        assert _digest(store, cid) == _reference([by_id[eid] for eid in present])

        # Resuming: everything again (what is there is recognised), then the whole commons.
        ingestor = Ingestor(store)
        try:
            report = ingestor.ingest(workload.raws)
        finally:
            ingestor.close()
        assert report.duplicates == len(present)
        assert len(report.added) == len(workload.raws) - len(present)
        assert not report.refused and not report.pending
        assert _digest(store, cid) == _reference(workload.raws)
        assert store.db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        store.close()
