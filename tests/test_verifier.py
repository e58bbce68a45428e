"""Big inputs are checked in a helper process: the verdicts are the same as checking in
place, in the same order, and the writer goes on alone if the helper dies."""

import sys
import threading
from concurrent.futures import Future
from pathlib import Path

from communs import domain
from communs.node.writing import ingest, verifier
from communs.store import SQLiteStore

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from workload import generate  # noqa: E402

EVENTS = 6000


def _tampered(raws: list[bytes]) -> list[bytes]:
    """Every 500th event with a byte of its signature flipped; one made non-canonical."""
    out = list(raws)
    for index in range(250, len(out), 500):
        raw = bytearray(out[index])
        raw[-1] ^= 1
        out[index] = bytes(raw)
    out[333] = b"\x9f" + out[333][1:] + b"\xff"  # an indefinite-length array
    return out


def _ingest(raws: list[bytes], db: Path, workers: int) -> tuple[ingest.IngestReport, str, bool]:
    store = SQLiteStore(db)
    ingestor = ingest.Ingestor(store, workers=workers)
    try:
        report = ingestor.ingest(iter(raws))
        used_helper = bool(ingestor.verifier and ingestor.verifier.running)
        cid = store.commons_cid(report.added[0])
        digest = domain.state_digest(store.raw_records(cid), store.ineffective(cid))
        return report, digest, used_helper
    finally:
        ingestor.close()
        store.close()


def test_the_helper_gives_the_verdicts_of_checking_in_place(tmp_path: Path) -> None:
    raws = _tampered(generate(EVENTS, seed=3).raws)
    helped, helped_digest, used_helper = _ingest(raws, tmp_path / "helped.db", workers=2)
    alone, alone_digest, _ = _ingest(raws, tmp_path / "alone.db", workers=1)
    assert used_helper
    assert sorted(helped.refused) == sorted(alone.refused)
    reasons = {reason for _, reason in helped.refused}
    assert "signature does not verify for the author's key" in reasons
    assert any("canonical" in reason or "CBOR" in reason for reason in reasons)
    assert len(helped.refused) == len(range(250, EVENTS, 500)) + 1  # and the non-canonical one
    assert helped.added == alone.added and sorted(helped.pending) == sorted(alone.pending)
    assert helped_digest == alone_digest


def test_the_writer_goes_on_alone_when_the_helper_dies(tmp_path: Path, caplog) -> None:
    raws = generate(EVENTS, seed=4).raws
    store = SQLiteStore(tmp_path / "node.db")
    ingestor = ingest.Ingestor(store, workers=2)

    def events():  # the helper is killed while the input is still being read
        for index, raw in enumerate(raws):
            helper = ingestor.verifier._process  # type: ignore[union-attr]
            if index == 4 * ingest.CHUNK and helper is not None:
                helper.kill()
                helper.wait()
            yield raw

    try:
        report = ingestor.ingest(events())
        assert len(report.added) == len(raws) and not report.refused
        assert "checking events in place from now on" in caplog.text
        cid = store.commons_cid(report.added[0])
        digest = domain.state_digest(store.raw_records(cid), store.ineffective(cid))
    finally:
        ingestor.close()
        store.close()
    assert digest == domain.fold(domain.parse(raw) for raw in raws).digest()


class SlowHelper:
    """Answers each chunk after a while, on a timer; remembers what it was asked."""

    running = True

    def __init__(self) -> None:
        self.sent: list[int] = []

    def submit(self, raws: list[bytes]) -> Future:
        future: Future = Future()

        def answer() -> None:
            if future.set_running_or_notify_cancel():
                self.sent.append(len(raws))
                future.set_result(verifier.refusals(raws))

        threading.Timer(0.3, answer).start()
        return future

    results = verifier.Verifier.results


def test_a_writer_waiting_for_the_helper_checks_the_last_chunks_itself() -> None:
    raws = _tampered(generate(1200, seed=5).raws)
    chunks = [raws[start : start + 100] for start in range(0, len(raws), 100)]
    helper = SlowHelper()
    ahead = verifier.CheckedAhead(helper, iter(chunks), limit=600)  # type: ignore[arg-type]
    taken = []
    while ahead.next_size() is not None:
        taken += ahead.take()
        ahead.top_up()
    expected = verifier.check(raws)
    assert [getattr(item, "id", item) for item in taken] == [
        getattr(item, "id", item) for item in expected
    ]
    assert 0 < len(helper.sent) < len(chunks)  # some chunks were taken back and checked here
