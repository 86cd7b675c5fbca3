"""GitHub's webhook shapes, checked at the edge (stdlib only): for the events the worker handles,
every field it reads, typed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.ingress.fields import (
    MAX_BODY_TEXT,
    REPO,
    ShapeError,
    as_object,
    iso_time,
    list_field,
    need,
    opt_object,
    string,
)


# -- GitHub webhooks -------------------------------------------------------------------------------
@dataclass(frozen=True)
class GitHubUser:
    login: str | None
    type: str | None


@dataclass(frozen=True)
class GitHubIssue:
    number: int
    title: str | None
    state: str | None
    body: str | None
    user: GitHubUser | None
    labels: tuple[str, ...]
    created_at: str | None
    updated_at: str | None
    closed_at: str | None


@dataclass(frozen=True)
class GitHubComment:
    id: str
    body: str | None
    user: GitHubUser | None
    created_at: str | None
    updated_at: str | None


@dataclass(frozen=True)
class GitHubDelivery:
    event: str
    action: str | None
    repo: str | None = None
    issue: GitHubIssue | None = None
    comment: GitHubComment | None = None
    sender: GitHubUser | None = None


GITHUB_HANDLED = {"issue_comment": frozenset({"created", "edited", "deleted"}),
                  "issues": frozenset({"opened", "closed", "reopened", "edited"})}


def _github_user(obj: dict[str, Any], key: str, where: str) -> GitHubUser | None:
    user = opt_object(obj, key, where)
    if user is None:
        return None
    return GitHubUser(login=string(user, "login", f"{where}.{key}", max_len=100),
                      type=string(user, "type", f"{where}.{key}", max_len=64))


def _positive_int(obj: dict[str, Any], key: str, where: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**53:
        raise ShapeError(f"{where}.{key} must be a positive integer")
    return value


def parse_github_delivery(event: str, value: Any) -> GitHubDelivery:
    """A webhook body: for the events the worker handles, every field it reads, typed."""
    obj = as_object(value, "body")
    action = string(obj, "action", "body", max_len=64)
    if action not in GITHUB_HANDLED.get(event, ()):
        return GitHubDelivery(event, action)  # acknowledged and ignored: nothing else is read
    repository = as_object(obj.get("repository"), "body.repository")
    repo = need(string(repository, "full_name", "body.repository", max_len=201, pattern=REPO),
                 "body.repository.full_name")
    raw_issue = as_object(obj.get("issue"), "body.issue")
    labels = []
    for i, item in enumerate(list_field(raw_issue, "labels", "body.issue", max_len=100)):
        labels.append(string(as_object(item, f"body.issue.labels[{i}]"), "name", f"body.issue.labels[{i}]") or "")
    issue = GitHubIssue(
        number=_positive_int(raw_issue, "number", "body.issue"),
        title=string(raw_issue, "title", "body.issue", max_len=1024),
        state=string(raw_issue, "state", "body.issue", max_len=64),
        body=string(raw_issue, "body", "body.issue", max_len=MAX_BODY_TEXT),
        user=_github_user(raw_issue, "user", "body.issue"),
        labels=tuple(labels),
        created_at=iso_time(raw_issue, "created_at", "body.issue"),
        updated_at=iso_time(raw_issue, "updated_at", "body.issue"),
        closed_at=iso_time(raw_issue, "closed_at", "body.issue"),
    )
    string(raw_issue, "html_url", "body.issue", max_len=2000)
    comment = None
    if event == "issue_comment":
        raw = as_object(obj.get("comment"), "body.comment")
        ident = raw.get("id")
        if isinstance(ident, bool) or not isinstance(ident, int | str) or not str(ident) or len(str(ident)) > 64:
            raise ShapeError("body.comment.id must be an integer or a short string")
        comment = GitHubComment(
            id=str(ident), body=string(raw, "body", "body.comment", max_len=MAX_BODY_TEXT),
            user=_github_user(raw, "user", "body.comment"),
            created_at=iso_time(raw, "created_at", "body.comment"),
            updated_at=iso_time(raw, "updated_at", "body.comment"),
        )
    return GitHubDelivery(event, action, repo=repo, issue=issue, comment=comment,
                          sender=_github_user(obj, "sender", "body"))
