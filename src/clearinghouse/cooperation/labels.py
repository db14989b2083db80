"""The words readers see for the cooperation workflows' states and actions (stored as English
codes). ``register()`` adds them to the generic labels, so the ``request_state`` and
``request_action`` template filters and the e-mails show them in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clearinghouse.workflows import labels

KINDS = {
    "assistance": _("technical assistance"),
    "grant": _("small grant"),
}
STATES = {
    # requests for technical assistance
    "submitted": _("submitted"),
    "validated": _("validated"),
    # "matched" and "completed" are also search and project-status words: own context.
    "matched": pgettext_lazy("request state", "matched"),
    "agreed": _("agreed"),
    "in_implementation": _("in implementation"),
    "completed": pgettext_lazy("request state", "completed"),
    "closed": _("closed"),
    # small-grant proposals
    "draft": _("draft"),
    "under_review": _("under review"),
    "ineligible": _("ineligible"),
    "awarded": _("awarded"),
    "declined": _("declined"),
    "withdrawn": _("withdrawn"),
    # funded projects ("completed" is shared with the requests above)
    "running": pgettext_lazy("project state", "running"),
    "finishing": pgettext_lazy("project state", "finishing"),
    "terminated": _("terminated"),
}
ACTIONS = {
    "validate": _("validation"),
    "match": _("match"),
    "decline": _("declining"),
    "agree": _("agreement"),
    "start": _("start"),
    "complete": _("completion"),
    "close": _("closing"),
    "cycle": _("matching cycle"),
    "submit": _("submission"),
    "screen_in": _("screened in"),
    "screen_out": _("screened out"),
    "award": _("award"),
    "withdraw": _("withdrawal"),
    "finish": _("finishing phase"),
    "accept_report": _("final report accepted"),
    "terminate": _("termination"),
    "progress_report": _("progress report"),
    "final_report": _("final report"),
    "assign_reviewers": _("reviewers assigned"),
    "override.pin": _("pinned"),
    "override.exclude": _("excluded"),
    "override.clear": _("override cleared"),
}
# What the buttons of the request page say.
BUTTONS = {
    "validate": _("Validate"),
    "decline": _("Decline the match"),
    "agree": _("Agree on the work plan"),
    "start": _("Start the work"),
    "complete": _("Complete (with the report)"),
    "close": _("Close the request"),
}


def register() -> None:
    for generic, ours in (
        (labels.KINDS, KINDS),
        (labels.STATES, STATES),
        (labels.ACTIONS, ACTIONS),
    ):
        for code, word in ours.items():
            generic.setdefault(code, word)
