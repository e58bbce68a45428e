"""Each event type says how it reads, where it is declared: one line per event."""

from communs import domain
from communs.domain.lines import say
from communs.i18n import translator
from communs.node.reads.describe import Known
from eventkit import World, blob, change, charter


def test_every_event_type_says_how_it_reads():
    missing = [name for name, kind in domain.TYPES.items() if kind.summary is None]
    assert missing == [], f"give these event types a summary= line: {missing}"


def lines(events, names, titles, lang="en"):
    known = Known(names, titles)
    return [say(domain.summary(event, known), translator(lang)) for event in events]


def test_lines_name_people_and_titles():
    world = World()
    anna, bao = world.writer(1), world.writer(2)
    genesis = anna.create(charter("Guide", [anna.me]))
    bao.learn(genesis)
    proposal = bao.propose(genesis.id, [change("guide.md", blob(1))], title="Draft")
    anna.learn(proposal)
    accept = anna.accept(genesis.id, proposal.id)
    named = bao.emit(genesis.id, "profile.set", {"name": "Bao"})
    detached = bao.emit(genesis.id, "profile.set", {"content": bytes(32), "content_size": 20})
    erased = bao.emit(genesis.id, "content.erase", {"content": bytes(32)})
    removed = anna.emit(genesis.id, "content.erase", {"content": bytes(32), "reason": "spam"})
    people = {anna.did: "anna", bao.did: "bao"}
    titles = {proposal.id.hex(): "Draft"}
    assert lines([genesis, proposal, accept, named, detached, erased, removed], people, titles) == [
        "anna created 'Guide'",
        "bao proposed 'Draft' (1 change)",
        "anna accepted 'Draft'",
        "bao is named 'Bao'",
        "bao signed a display name",
        "bao erased content",
        "anna removed content: spam",
    ]
    # Without names or titles: short DIDs and ids.
    [line] = lines([accept], {}, {})
    assert line == f"{anna.did[:16]}… accepted '{proposal.id.hex()[:12]}'"
