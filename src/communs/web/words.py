"""Words the pages show for values the domain and the node hold as plain names — states,
decision methods, ballots, kinds, charter fields, notes — marked here for the catalogue. A page
shows a value through ``_(label(value))``; ``tests/test_languages.py`` checks every value the
domain declares has its words here."""

from ..i18n import N_

STATES = (
    N_("open"), N_("conflict"), N_("accepted"), N_("published"), N_("rejected"),
    N_("withdrawn"), N_("reverted"), N_("closed"), N_("passed"), N_("failed"), N_("settled"),
    N_("undecided"), N_("claimed"), N_("done"), N_("validated"), N_("invalidated"),
    N_("retracted"), N_("signalled"), N_("flagged"), N_("behind"),
)  # fmt: skip
NOTES = (N_("claim expired"), N_("waiting for validation"), N_("waiting for review"))
METHODS = (
    N_("single maintainer"), N_("k of n"), N_("lazy consensus"), N_("consent"),
    N_("consensus"), N_("majority"), N_("supermajority"), N_("advice"), N_("single choice"),
    N_("multiple choice"), N_("score"), N_("ranked choice"), N_("dot vote"), N_("time poll"),
)  # fmt: skip
BALLOTS = (
    N_("yes"), N_("no"), N_("abstain"), N_("agree"), N_("stand aside"), N_("disagree"),
    N_("block"), N_("if need be"), N_("objections"), N_("unresolved"),
)  # fmt: skip
DECISION_KINDS = (N_("charter"), N_("maintainer"), N_("custom"))
# The fields of event bodies a refusal may name (``{field:word}``).
BODY_FIELDS = (
    N_("title"), N_("description"), N_("text"), N_("reason"), N_("comment"), N_("note"),
    N_("path"), N_("emoji"), N_("options"), N_("value"), N_("ballot"), N_("outcome"),
    N_("links"), N_("value"), N_("closes at"), N_("method"), N_("effect"), N_("did"),
)  # fmt: skip
CHARTER_FIELDS = (
    N_("name"), N_("kind"), N_("licence"), N_("mode"), N_("threshold"), N_("claim hours"),
    N_("half life hours"), N_("validators"), N_("rules"),
)  # fmt: skip
COMMONS_KINDS = (
    N_("text"), N_("software"), N_("design"), N_("media"), N_("places"), N_("data"),
    N_("equipment"), N_("library"), N_("other"),
)  # fmt: skip
VERDICTS = (N_("approve"), N_("request changes"), N_("comment"))
LATENCY = (
    N_("under an hour"), N_("under a day"), N_("under a week"), N_("under a month"),
    N_("longer"),
)  # fmt: skip


def label(name: str) -> str:
    """A value as the words that name it: ``k_of_n`` → ``k of n``."""
    return name.replace("_", " ")


# What each kind of event is, for the activity page's filter.
EVENT_TYPES = {
    "charter.change": N_("charter changes endorsed"),
    "commons.create": N_("commons created or forked"),
    "content.erase": N_("content erased"),
    "contribution.accept": N_("contributions accepted"),
    "contribution.patrol": N_("contributions patrolled"),
    "contribution.propose": N_("contributions proposed"),
    "contribution.reject": N_("contributions rejected"),
    "contribution.revert": N_("contributions reverted"),
    "contribution.review": N_("reviews"),
    "contribution.revise": N_("contributions revised"),
    "contribution.withdraw": N_("contributions withdrawn"),
    "credit.assess": N_("sizes assessed"),
    "distribution.propose": N_("distributions proposed"),
    "distribution.waive": N_("shares waived"),
    "enterprise.register": N_("enterprises registered"),
    "library.item": N_("items added to the catalogue"),
    "library.edit": N_("items edited"),
    "library.status": N_("items' status changed"),
    "library.join": N_("members joined"),
    "expense.acknowledge": N_("payments acknowledged"),
    "expense.approve": N_("expenses approved"),
    "expense.attach": N_("receipts attached"),
    "expense.file": N_("expenses filed"),
    "expense.pay": N_("expenses paid"),
    "expense.reject": N_("expenses rejected"),
    "ledger.payout": N_("shares paid out"),
    "ledger.record": N_("income recorded"),
    "profile.set": N_("display names"),
    "proposal.close": N_("proposals closed"),
    "proposal.commit": N_("hidden ballots cast"),
    "proposal.object": N_("objections"),
    "proposal.open": N_("proposals opened"),
    "proposal.reveal": N_("hidden ballots revealed"),
    "proposal.settle": N_("proposals settled"),
    "proposal.vote": N_("votes"),
    "proposal.withdraw_objection": N_("objections withdrawn"),
    "task.claim": N_("tasks claimed"),
    "task.done": N_("tasks marked done"),
    "task.extend": N_("claims extended"),
    "task.flag": N_("files flagged"),
    "task.invalidate": N_("tasks invalidated"),
    "task.open": N_("tasks opened"),
    "task.release": N_("claims released"),
    "task.reopen": N_("tasks reopened"),
    "task.signal": N_("signals"),
    "task.unflag": N_("flags removed"),
    "task.validate": N_("tasks validated"),
    "thread.edit": N_("messages edited"),
    "thread.hide": N_("messages hidden"),
    "thread.post": N_("messages"),
    "thread.react": N_("reactions"),
    "thread.retract": N_("messages retracted"),
    "thread.unhide": N_("messages shown again"),
    "thread.unreact": N_("reactions taken back"),
}
