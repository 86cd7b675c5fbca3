"""Slack's failures, judged for the outbox: which no retry fixes, what to tell the agent, what to wait.

:func:`register` adds these rules to the desk's classifier registry (:mod:`chalicelib.desk.verdicts`);
the composition root (:func:`chalicelib.services.build_services`) calls it.
"""

from __future__ import annotations

from chalicelib.desk.verdicts import Verdict, register_classifier, register_external, retry_after

# Slack errors that no retry fixes: the agent or an admin must act (invite the bot, fix the id).
SLACK_PERMANENT = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "user_not_found", "user_not_in_channel",
    "cannot_dm_bot", "user_disabled", "account_inactive", "invalid_auth", "not_authed", "token_revoked",
    "token_expired", "missing_scope", "no_permission", "restricted_action", "msg_too_long", "no_text",
    "invalid_blocks", "invalid_blocks_format", "invalid_metadata_format", "invalid_arguments",
    "message_not_found", "cant_update_message", "edit_window_closed", "channel_is_archived",
    "restricted_action_read_only_channel", "ekm_access_denied", "team_access_not_granted",
})
SLACK_HINTS = {
    "not_in_channel": "invite the Support Hero app to that channel (/invite @Support Hero), then retry it",
    "channel_not_found": "the channel was deleted or the app cannot see it; check the directory's channel ids",
    "is_archived": "the channel is archived; unarchive it or move the customer to a new channel",
    "invalid_auth": "the Slack bot token is not valid; update the SSM parameter, then retry",
    "token_revoked": "the Slack bot token was revoked; reinstall the app, update the token, then retry",
    "missing_scope": "the Slack app lacks a scope it needs; add it, reinstall, then retry",
}


def classify_slack(exc: BaseException) -> Verdict | None:
    """A Slack Web API error's verdict; None for anything else (a client-side error is a network error)."""
    from slack_sdk.errors import SlackApiError

    if not isinstance(exc, SlackApiError):
        return None
    response = exc.response
    error = str(response.get("error") or "")
    status = int(getattr(response, "status_code", 200) or 200)
    if status == 429 or error == "ratelimited":
        return Verdict(False, "Slack: ratelimited", retry_after(getattr(response, "headers", None)))
    if status >= 500:
        return Verdict(False, f"Slack: HTTP {status}", maybe_sent=True)
    if error in SLACK_PERMANENT:
        return Verdict(True, f"Slack: {error}", hint=SLACK_HINTS.get(error, ""))
    return Verdict(False, f"Slack: {error or 'error'}", maybe_sent=error in ("request_timeout", "fatal_error"))


def is_slack_failure(exc: BaseException) -> bool:
    from slack_sdk.errors import SlackClientError

    return isinstance(exc, SlackClientError)


def register() -> None:
    """Teach the desk's :func:`~chalicelib.desk.verdicts.classify` and ``is_external`` about Slack."""
    register_classifier(classify_slack)
    register_external(is_slack_failure)
