"""GitHub webhooks to ticket operations, and closing the loop when an issue closes.

* ``issue_comment.created`` by someone outside the team (roster GitHub logins; bots ignored)
  on a watched repository -> a ticket for (issue, person); their later comments join it.
* ``issues.opened`` by an outsider with a configured label (or any, if configured) -> a ticket.
* ``issues.closed`` / ``issues.reopened`` -> every ticket linked to the issue, from any channel,
  gets one notice in its own channel (Slack thread, email reply, issue comment) per state change,
  and moves to pending when the issue closes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.channels.github.api import GitHubApi
from chalicelib.desk.directory import Directory
from chalicelib.desk.directory_store import DirectoryStore
from chalicelib.desk.links import IssueRef, LinkStore
from chalicelib.desk.outbox import Step
from chalicelib.desk.people import Identity, customer_of
from chalicelib.desk.tickets import CUSTOMER, NewMessage, OpenTicket, TicketService, number_of, subject_from
from chalicelib.models.tickets import Ticket
from chalicelib.platform.observability import logger


@dataclass(frozen=True)
class GitHubOutcome:
    action: str
    ticket_number: int | None = None


def _time(value: str | None, fallback: dt.datetime) -> dt.datetime:
    if not value:
        return fallback
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def ticket_id_for(repo: str, number: int, login: str) -> str:
    return f"github:{repo.lower()}#{number}:{login.lower()}"


class GitHubIntake:
    def __init__(self, *, tickets: TicketService, directory: DirectoryStore, links: LinkStore,
                 github: Callable[[], GitHubApi]) -> None:
        self.tickets = tickets
        self.directory = directory
        self.links = links
        self.github = github

    def handle(self, event: str, payload: dict[str, Any]) -> GitHubOutcome:
        directory = self.directory.load()
        repo = str((payload.get("repository") or {}).get("full_name") or "")
        if not directory.settings.watches(repo):
            return GitHubOutcome("ignored:repository-not-watched")
        sender = payload.get("sender") or {}
        issue = payload.get("issue") or {}
        action = payload.get("action")
        if event == "issues" and action in ("closed", "reopened"):
            return self.issue_state_changed(
                IssueRef(repo, int(issue["number"])), state=str(issue.get("state") or action),
                stamp=str(issue.get("closed_at") if action == "closed" else issue.get("updated_at")),
                title=str(issue.get("title") or ""),
            )
        if sender.get("type") == "Bot" or str(sender.get("login", "")).endswith("[bot]"):
            return GitHubOutcome("ignored:bot")
        if event == "issue_comment":
            if "pull_request" in issue and not directory.settings.github_pull_request_comments:
                return GitHubOutcome("ignored:pull-request-comment")
            return self._comment(str(action), repo, issue, payload.get("comment") or {}, directory)
        if event == "issues" and action == "opened":
            return self._issue_opened(repo, issue, directory)
        return GitHubOutcome(f"ignored:{event}.{action}")

    # -- questions -------------------------------------------------------------
    def _message(self, item: dict[str, Any], source: str, text: str, role: str,
                 directory: Directory) -> NewMessage:
        user = item.get("user") or {}
        return NewMessage(
            source_id=source, at=_time(item.get("created_at"), self.tickets.clock.now()), role=role,
            text=text, channel="github", author_id=str(user.get("login") or ""),
            author_name=str(user.get("login") or ""),
        )

    def _open(self, repo: str, issue: dict[str, Any], login: str, first: NewMessage,
              directory: Directory) -> GitHubOutcome:
        ref = IssueRef(repo, int(issue["number"]))
        identity = Identity.of("github", login)
        person = None
        if identity is not None:
            email, orgs = self._profile(login)
            person = self.tickets.people.requester(directory, identity, facts=[Identity.of("email", email)],
                                                   name=login, orgs=orgs)
        customer = customer_of(directory, person)
        tier = customer.tier if customer else "community"
        cmd = OpenTicket(
            ticket_id=ticket_id_for(repo, ref.number, login), channel="github",
            origin={"type": "github", "repo": repo, "number": ref.number, "login": login,
                    "issue_url": issue.get("html_url") or ref.url, "issue_title": issue.get("title")},
            subject=subject_from(f"{issue.get('title') or ref.key}"),
            requester_id=login, requester_name=login, customer_id=customer.id if customer else None, tier=tier,
            priority=directory.settings.priority_for(tier), first=first,
            requester_key=identity.key if identity else None,
            requester=person,
        )
        result = self.tickets.open(cmd, effects=_no_confirmation)
        self.links.link(result.ticket, ref, title=issue.get("title"))
        return GitHubOutcome("opened" if result.created else "duplicate", number_of(result.ticket))

    def _profile(self, login: str) -> tuple[str | None, list[str]]:
        """The login's public email and orgs (nothing when GitHub cannot say: the ticket opens anyway)."""
        try:
            return self.github().profile(login)
        except Exception:  # noqa: BLE001 - a nicety; GitHub may be down or the user gone
            logger.info("could not read a GitHub profile")
            return None, []

    def _comment(self, action: str, repo: str, issue: dict[str, Any], comment: dict[str, Any],
                 directory: Directory) -> GitHubOutcome:
        login = str((comment.get("user") or {}).get("login") or "")
        if not login or (comment.get("user") or {}).get("type") == "Bot":
            return GitHubOutcome("ignored:bot")
        if directory.member_by_github(login):
            # author_association can't tell a private org member from a contributor: the roster can.
            return GitHubOutcome("ignored:team-member")
        source = f"github-comment:{comment.get('id')}"
        ticket = self.tickets.find(ticket_id_for(repo, int(issue["number"]), login))
        message = self._message(comment, source, str(comment.get("body") or ""), CUSTOMER, directory)
        if action == "created":
            if ticket is None:
                return self._open(repo, issue, login, message, directory)
            result = self.tickets.append(ticket, message)
            return GitHubOutcome("appended" if result.appended else "duplicate", number_of(ticket))
        if ticket is None:
            return GitHubOutcome("ignored:not-ticketed")
        if action == "edited":
            edit = NewMessage(**{**message.__dict__, "edit_version": str(comment.get("updated_at") or "")})
            return GitHubOutcome("edited" if self.tickets.edit(ticket, edit) else "stale-edit", number_of(ticket))
        gone = self.tickets.delete_message(ticket, NewMessage(**{**message.__dict__, "deleted": True}))
        return GitHubOutcome("deleted" if gone else "duplicate", number_of(ticket))

    def _issue_opened(self, repo: str, issue: dict[str, Any], directory: Directory) -> GitHubOutcome:
        login = str((issue.get("user") or {}).get("login") or "")
        if directory.member_by_github(login):
            return GitHubOutcome("ignored:team-member")
        labels = {str(lbl.get("name", "")).lower() for lbl in issue.get("labels") or [] if isinstance(lbl, dict)}
        settings = directory.settings
        if not settings.github_open_every_issue and not labels & set(settings.github_issue_labels):
            return GitHubOutcome("ignored:no-support-label")
        text = f"{issue.get('title') or ''}\n\n{issue.get('body') or ''}".strip()
        first = self._message(issue, f"github-issue:{repo.lower()}#{issue['number']}", text, CUSTOMER, directory)
        return self._open(repo, issue, login, first, directory)

    # -- closing the loop --------------------------------------------------------
    def issue_state_changed(self, issue: IssueRef, *, state: str, stamp: str, title: str) -> GitHubOutcome:
        """Tell every linked ticket's requester, once per ticket per state change."""
        self.links.mark_state(issue, state, title)
        team = self.directory.load().settings.team_name
        verb = "was closed" if state == "closed" else "was reopened"
        text = f"Update: {issue.url} ({title}) {verb}."
        if state == "closed":
            text += " If this does not solve it for you, just reply here."
        notified = 0
        for ticket_id in self.links.tickets_for(issue):
            ticket = self.tickets.find(ticket_id)
            if ticket is None or ticket.kind != "ticket":
                continue
            _, created = self.tickets.add_notice(ticket, text, key=f"{issue.key}:{state}:{stamp}", author_name=team)
            if state == "closed":
                self.tickets.set_pending(ticket)
            notified += int(created)
        logger.info("issue state fanned out", extra={"issue": issue.key, "state": state, "notified": notified})
        return GitHubOutcome(f"issue-{state}:{notified}")

    def reconcile(self, limit: int = 500) -> list[str]:
        """Catch up on closes whose webhook never arrived (GitHub does not redeliver on its own)."""
        done = []
        for issue in self.links.open_issues(limit):
            data = self.github().issue(issue.repo, issue.number)
            if data.get("state") == "closed":
                outcome = self.issue_state_changed(issue, state="closed", stamp=str(data.get("closed_at")),
                                                   title=str(data.get("title") or ""))
                done.append(f"{issue.key}:{outcome.action}")
        return done


def _no_confirmation(ticket: Ticket) -> list[Step]:
    """GitHub tickets need no confirmation post: the question is visible where it was asked."""
    ticket.confirmation_ref = "none:github"
    return []
