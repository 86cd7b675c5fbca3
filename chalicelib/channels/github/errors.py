"""GitHub's failures, judged for the outbox: which no retry fixes and what to tell the agent.

:func:`register` adds these rules to the desk's classifier registry (:mod:`chalicelib.desk.verdicts`);
the composition root (:func:`chalicelib.services.build_services`) calls it.
"""

from __future__ import annotations

from chalicelib.channels.github.api import GitHubError
from chalicelib.desk.verdicts import Verdict, register_classifier, register_external

GITHUB_HINTS = {
    404: "the issue or repository is gone, or the token cannot see it",
    410: "the issue was deleted",
    401: "the GitHub token is not valid; update it, then retry",
    403: "the GitHub token lacks permission (or the issue is locked)",
}


def classify_github(exc: BaseException) -> Verdict | None:
    """A GitHub REST error's verdict; None for anything else."""
    if not isinstance(exc, GitHubError):
        return None
    if exc.status >= 500:
        return Verdict(False, f"GitHub: HTTP {exc.status}", maybe_sent=True)
    if exc.status in (400, 401, 403, 404, 410, 422):
        return Verdict(True, f"GitHub: HTTP {exc.status}", hint=GITHUB_HINTS.get(exc.status, ""))
    return Verdict(False, f"GitHub: HTTP {exc.status}")


def is_github_failure(exc: BaseException) -> bool:
    return isinstance(exc, GitHubError)


def register() -> None:
    """Teach the desk's :func:`~chalicelib.desk.verdicts.classify` and ``is_external`` about GitHub."""
    register_classifier(classify_github)
    register_external(is_github_failure)
