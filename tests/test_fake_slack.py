"""The fake Slack Web API, driven over real HTTP by slack-sdk's real ``WebClient``."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from devstack.fake_slack import FakeSlack

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "xoxb-fake-test"
CHANNEL = "C0TEST"
TS_FORM = re.compile(r"^\d{10}\.\d{6}$")


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(bot_token=TOKEN) as server:
        yield server


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=TOKEN, base_url=fake.base_url, timeout=5)


def ts(n: int) -> str:
    return f"1700000{n:03d}.000100"


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [str(m["text"]) for m in messages]


def http(url: str, body: Any = None, *, method: str | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    data: bytes | None = None
    all_headers = dict(headers or {})
    if isinstance(body, bytes):
        data = body
    elif body is not None:
        data = json.dumps(body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=data, headers=all_headers, method=method or ("POST" if data else "GET"))
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read())


def test_auth_test_identifies_the_bot(client: WebClient) -> None:
    result = client.auth_test()
    assert result["ok"] is True
    assert (result["user_id"], result["bot_id"], result["team_id"]) == ("U0BOT", "B0BOT", "T0DEV")
    assert result["url"] and result["team"] and result["user"]


def test_post_history_and_replies_round_trip(fake: FakeSlack, client: WebClient) -> None:
    parent = client.chat_postMessage(channel=CHANNEL, text="Ticket #1 opened", username="Support Hero",
                                     icon_url="https://example.com/hero.png", unfurl_links=False,
                                     metadata={"event_type": "ticket_opened", "event_payload": {"number": 1}})
    assert parent["ok"] is True and parent["channel"] == CHANNEL and TS_FORM.match(parent["ts"])
    message = parent["message"]
    assert message["user"] == "U0BOT" and message["bot_id"] == "B0BOT" and message["ts"] == parent["ts"]
    assert message["username"] == "Support Hero" and message["icon_url"] == "https://example.com/hero.png"
    assert message["metadata"]["event_payload"] == {"number": 1}

    parent_ts = parent["ts"]
    first = client.chat_postMessage(channel=CHANNEL, text="first reply", thread_ts=parent_ts)
    fake.add_message(CHANNEL, "9999999999.000001", "U0CUST1", "customer reply", thread_ts=parent_ts)
    # Replying to a reply lands in the same thread, as in Slack.
    with pytest.warns(UserWarning, match="`text` argument is missing"):  # blocks alone are allowed
        second = client.chat_postMessage(channel=CHANNEL, blocks=[{"type": "section", "text": {
            "type": "mrkdwn", "text": "second"}}], thread_ts=first["ts"])
    assert parent_ts < first["ts"] < second["ts"]  # fresh, strictly increasing
    assert second["message"]["thread_ts"] == parent_ts and second["message"]["parent_user_id"] == "U0BOT"
    fake.add_message(CHANNEL, ts(1), "U0CUST1", "older top-level question")

    history = client.conversations_history(channel=CHANNEL)
    assert texts(history["messages"]) == ["Ticket #1 opened", "older top-level question"]
    assert history["has_more"] is False
    head = history["messages"][0]
    assert head["thread_ts"] == parent_ts and head["reply_count"] == 3
    assert head["reply_users"] == ["U0BOT", "U0CUST1"] and head["latest_reply"] == "9999999999.000001"
    assert "metadata" not in head  # Slack leaves metadata out unless include_all_metadata

    expected = ["Ticket #1 opened", "first reply", "", "customer reply"]
    for anchor in (parent_ts, first["ts"], "9999999999.000001"):
        thread = client.conversations_replies(channel=CHANNEL, ts=anchor, include_all_metadata=True)
        assert texts(thread["messages"]) == expected
        assert thread["messages"][0]["metadata"]["event_type"] == "ticket_opened"
        assert all(m["thread_ts"] == parent_ts for m in thread["messages"])
    assert thread["messages"][2]["blocks"][0]["text"]["text"] == "second"

    lone = client.conversations_replies(channel=CHANNEL, ts=ts(1))
    assert texts(lone["messages"]) == ["older top-level question"] and "reply_count" not in lone["messages"][0]
    with pytest.raises(SlackApiError) as missing:
        client.conversations_replies(channel=CHANNEL, ts=ts(999))
    assert missing.value.response["error"] == "thread_not_found"

    # What the fake recorded is what slack-sdk sent: JSON bodies keep blocks/metadata as JSON.
    posted = fake.calls("chat.postMessage")
    assert len(posted) == 3 and all(c["token"] == TOKEN and c["at"] > 0 for c in posted)
    assert posted[0]["params"]["metadata"]["event_type"] == "ticket_opened"
    assert posted[0]["params"]["unfurl_links"] is False
    assert isinstance(posted[2]["params"]["blocks"], list)
    assert [c["method"] for c in fake.calls()][-4:] == ["conversations.replies"] * 4


def test_post_message_errors(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as no_text, pytest.warns(UserWarning, match="`text` argument is missing"):
        client.chat_postMessage(channel=CHANNEL, text="")
    assert no_text.value.response["error"] == "no_text"
    with pytest.raises(SlackApiError) as no_channel:
        client.chat_postMessage(channel="", text="hello")
    assert no_channel.value.response["error"] == "channel_not_found"


def test_update_delete_permalink_and_the_rest(fake: FakeSlack, client: WebClient) -> None:
    posted = client.chat_postMessage(channel=CHANNEL, text="draft")
    updated = client.chat_update(channel=CHANNEL, ts=posted["ts"], text="final")
    assert updated["text"] == "final" and updated["message"]["edited"]["user"] == "U0BOT"
    assert texts(client.conversations_history(channel=CHANNEL)["messages"]) == ["final"]
    link = client.chat_getPermalink(channel=CHANNEL, message_ts=posted["ts"])["permalink"]
    assert link == f"https://fake-slack.local/archives/{CHANNEL}/p{posted['ts'].replace('.', '')}"
    assert client.chat_delete(channel=CHANNEL, ts=posted["ts"])["ok"]
    assert client.conversations_history(channel=CHANNEL)["messages"] == []
    with pytest.raises(SlackApiError) as gone:
        client.chat_update(channel=CHANNEL, ts=posted["ts"], text="again")
    assert gone.value.response["error"] == "message_not_found"

    assert TS_FORM.match(client.chat_postEphemeral(channel=CHANNEL, user="U0CUST1", text="psst")["message_ts"])
    assert client.conversations_open(users="U0CUST1")["channel"]["id"] == "DU0CUST1"
    assert client.conversations_setTopic(channel=CHANNEL, topic="3 open")["channel"]["topic"]["value"] == "3 open"
    fake.add_message(CHANNEL, ts(1), "U0CUST1", "react to me")
    assert client.reactions_add(channel=CHANNEL, timestamp=ts(1), name="ticket")["ok"]
    assert client.conversations_history(channel=CHANNEL)["messages"][0]["reactions"][0]["name"] == "ticket"
    view = client.views_publish(user_id="U0HERO1", view={"type": "home", "blocks": []})["view"]
    assert view["type"] == "home" and view["id"]
    assert len(fake.calls("views.publish")) == 1 and fake.calls("views.publish")[0]["params"]["user_id"] == "U0HERO1"
    with pytest.raises(SlackApiError) as unknown:
        client.api_call("chat.sing")
    assert unknown.value.response["error"] == "unknown_method"


def test_history_and_replies_paginate_with_a_cursor(fake: FakeSlack, client: WebClient) -> None:
    for n in range(1, 6):
        fake.add_message(CHANNEL, ts(n), "U0CUST1", f"m{n}")
    first = client.conversations_history(channel=CHANNEL, limit=2)
    assert texts(first["messages"]) == ["m5", "m4"] and first["has_more"] is True
    cursor = first["response_metadata"]["next_cursor"]
    second = client.conversations_history(channel=CHANNEL, limit=2, cursor=cursor)
    assert texts(second["messages"]) == ["m3", "m2"] and second["has_more"] is True
    # slack-sdk's own page iterator follows next_cursor to the end.
    pages = [texts(page["messages"]) for page in client.conversations_history(channel=CHANNEL, limit=2)]
    assert pages == [["m5", "m4"], ["m3", "m2"], ["m1"]]
    with pytest.raises(SlackApiError) as bad:
        client.conversations_history(channel=CHANNEL, cursor="not-a-cursor")
    assert bad.value.response["error"] == "invalid_cursor"

    for n in range(6, 11):
        fake.add_message(CHANNEL, ts(n), "U0CUST2", f"r{n}", thread_ts=ts(1))
    thread = [texts(page["messages"]) for page in client.conversations_replies(channel=CHANNEL, ts=ts(1), limit=2)]
    assert thread == [["m1", "r6"], ["r7", "r8"], ["r9", "r10"]]  # the parent leads the first page only


def test_history_latest_oldest_and_inclusive(fake: FakeSlack, client: WebClient) -> None:
    for n in range(1, 6):
        fake.add_message(CHANNEL, ts(n), "U0CUST1", f"m{n}")
    fake.add_message(CHANNEL, ts(7), "U0CUST1", "reply, not in history", thread_ts=ts(2))

    def history(**kwargs: Any) -> list[str]:
        return texts(client.conversations_history(channel=CHANNEL, **kwargs)["messages"])

    assert history() == ["m5", "m4", "m3", "m2", "m1"]
    assert history(latest=ts(3)) == ["m2", "m1"]  # bounds are exclusive by default
    assert history(latest=ts(3), inclusive=True) == ["m3", "m2", "m1"]
    assert history(oldest=ts(2), latest=ts(4)) == ["m3"]
    assert history(oldest=ts(2), latest=ts(4), inclusive=True) == ["m4", "m3", "m2"]
    assert history(oldest=ts(3)) == ["m5", "m4"]
    # How an app fetches one top-level message by its ts:
    assert history(latest=ts(2), inclusive=True, limit=1) == ["m2"]
    assert history(latest=ts(7), inclusive=True, limit=1) == ["m5"]  # a reply is not in history
    assert history(latest="1600000000.000000") == []


def test_users_info_and_user_not_found(fake: FakeSlack, client: WebClient) -> None:
    fake.add_user("U0HERO1", "ada", real_name="Ada Hero", image_72="https://avatars.example.com/ada.png")
    user = client.users_info(user="U0HERO1")["user"]
    assert (user["id"], user["name"], user["real_name"], user["is_bot"]) == ("U0HERO1", "ada", "Ada Hero", False)
    assert user["profile"] == {**user["profile"], "display_name": "Ada Hero", "real_name": "Ada Hero",
                               "image_72": "https://avatars.example.com/ada.png",
                               "image_192": "https://avatars.example.com/ada.png"}
    with pytest.raises(SlackApiError) as missing:
        client.users_info(user="U0NOBODY")
    assert missing.value.response["error"] == "user_not_found"
    assert missing.value.response.status_code == 200


def test_bad_or_missing_token(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as wrong:
        WebClient(token="xoxb-wrong", base_url=fake.base_url).auth_test()
    assert wrong.value.response["error"] == "invalid_auth"
    with pytest.raises(SlackApiError) as none:
        WebClient(base_url=fake.base_url).auth_test()
    assert none.value.response["error"] == "not_authed"
    assert [c["token"] for c in fake.calls("auth.test")] == ["xoxb-wrong", None]
    # Without a configured bot token, any token is accepted.
    with FakeSlack() as open_fake:
        assert WebClient(token="xoxb-anything", base_url=open_fake.base_url).auth_test()["ok"]


def test_rate_limit_is_retried_by_slack_sdks_handler(fake: FakeSlack) -> None:
    fake.add_user("U0HERO1", "ada")
    fake.fail_next("users.info", status=429, retry_after=1)
    client = WebClient(token=TOKEN, base_url=fake.base_url,
                       retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])
    started = time.monotonic()
    assert client.users_info(user="U0HERO1")["user"]["name"] == "ada"
    assert time.monotonic() - started >= 1  # it honoured Retry-After
    assert len(fake.calls("users.info")) == 2


def test_injected_failures_without_retries(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", status=429, retry_after=30)
    with pytest.raises(SlackApiError) as limited:
        client.chat_postMessage(channel=CHANNEL, text="hi")  # no retry handler: fails fast
    assert limited.value.response.status_code == 429
    assert limited.value.response["error"] == "ratelimited"
    assert limited.value.response.headers["Retry-After"] == "30"

    fake.fail_next("chat.postMessage", status=500)
    with pytest.raises(SlackApiError) as crashed:
        client.chat_postMessage(channel=CHANNEL, text="hi")
    assert crashed.value.response.status_code == 500

    fake.fail_next("chat.postMessage", status=200, error="channel_not_found", count=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as refused:
            client.chat_postMessage(channel=CHANNEL, text="hi")
        assert refused.value.response["error"] == "channel_not_found"
    assert client.chat_postMessage(channel=CHANNEL, text="hi")["ok"]  # failures are used up
    assert len(fake.calls("chat.postMessage")) == 5


def test_form_posts_token_field_and_get_query(fake: FakeSlack) -> None:
    form = urllib.parse.urlencode({"token": TOKEN, "channel": CHANNEL, "text": "form post",
                                   "blocks": json.dumps([{"type": "divider"}])}).encode()
    status, _, body = http(fake.base_url + "chat.postMessage", form,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and body["ok"] and body["message"]["blocks"] == [{"type": "divider"}]
    recorded = fake.calls("chat.postMessage")[0]
    assert recorded["token"] == TOKEN and "token" not in recorded["params"]
    assert recorded["params"]["blocks"] == '[{"type": "divider"}]'  # JSON text left as sent
    query = urllib.parse.urlencode({"token": TOKEN, "channel": CHANNEL})
    status, _, body = http(f"{fake.base_url}conversations.history?{query}")
    assert status == 200 and texts(body["messages"]) == ["form post"]
    status, _, body = http(fake.base_url + "auth.test", {"token": "xoxb-bad"})
    assert body == {"ok": False, "error": "invalid_auth"}


def test_control_api_over_http(fake: FakeSlack, client: WebClient) -> None:
    root = fake.base_url.removesuffix("/api/")
    assert http(f"{root}/_fake/health")[2]["ok"] is True
    assert http(f"{root}/_fake/users", {"user_id": "U0CUST1", "name": "casey", "real_name": "Casey"})[0] == 200
    assert http(f"{root}/_fake/messages", {"channel": CHANNEL, "ts": ts(1), "user": "U0CUST1",
                                           "text": "question", "thread_ts": None})[0] == 200
    assert http(f"{root}/_fake/messages", {"channel": CHANNEL, "ts": ts(2), "user": "U0CUST1",
                                           "text": "more", "thread_ts": ts(1)})[0] == 200
    assert client.users_info(user="U0CUST1")["user"]["real_name"] == "Casey"
    assert texts(client.conversations_replies(channel=CHANNEL, ts=ts(1))["messages"]) == ["question", "more"]
    assert texts(http(f"{root}/_fake/messages?channel={CHANNEL}")[2]) == ["question", "more"]

    assert http(f"{root}/_fake/fail", {"method": "auth.test", "status": 200, "error": "account_inactive"})[0] == 200
    with pytest.raises(SlackApiError) as failed:
        client.auth_test()
    assert failed.value.response["error"] == "account_inactive"

    status, _, calls = http(f"{root}/_fake/calls?method=users.info")
    assert status == 200 and [c["params"]["user"] for c in calls] == ["U0CUST1"]
    assert {c["method"] for c in http(f"{root}/_fake/calls")[2]} >= {"users.info", "auth.test"}
    assert http(f"{root}/_fake/messages", {"channel": CHANNEL})[0] == 400  # missing fields
    assert http(f"{root}/_fake/nope", {})[0] == 404

    assert http(f"{root}/_fake/reset", {})[0] == 200
    assert http(f"{root}/_fake/calls")[2] == []
    assert client.conversations_history(channel=CHANNEL)["messages"] == []


def test_concurrent_posts_get_unique_increasing_ts(fake: FakeSlack) -> None:
    stamps: list[str] = []
    lock = threading.Lock()

    def post(n: int) -> None:
        result = WebClient(token=TOKEN, base_url=fake.base_url).chat_postMessage(channel=CHANNEL, text=f"p{n}")
        with lock:
            stamps.append(str(result["ts"]))

    workers = [threading.Thread(target=post, args=(n,)) for n in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(set(stamps)) == 8 and all(TS_FORM.match(s) for s in stamps)
    assert len(fake.calls("chat.postMessage")) == 8 and len(fake.messages(CHANNEL)) == 8


def test_cli_prints_its_base_url_and_stops_on_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack.fake_slack", "--port", "0", "--bot-token", TOKEN],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/api/)\s*$", line)
        assert match, line
        assert WebClient(token=TOKEN, base_url=match.group(1)).auth_test()["user_id"] == "U0BOT"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


class Clock:
    """A clock the test moves: the fake's ``now``."""

    def __init__(self) -> None:
        self.at = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.at


def test_outage_answers_without_posting_until_the_clock_passes(fake: FakeSlack, client: WebClient) -> None:
    clock = Clock()
    fake.now = clock
    fake.outage(status=503, retry_after=2, until=clock.at + dt.timedelta(minutes=5))
    with pytest.raises(SlackApiError) as down:
        client.chat_postMessage(channel=CHANNEL, text="during the outage")
    assert down.value.response.status_code == 503
    assert down.value.response.headers["Retry-After"] == "2"
    with pytest.raises(SlackApiError):
        client.users_info(user="U0BOT")  # every method
    assert fake.messages(CHANNEL) == []
    attempts = fake.calls("chat.postMessage")
    assert len(attempts) == 1 and attempts[0]["failed"] is True and attempts[0]["status"] == 503
    clock.at += dt.timedelta(minutes=5)  # `until` reached: Slack is back
    assert client.chat_postMessage(channel=CHANNEL, text="after")["ok"]
    assert texts(fake.messages(CHANNEL)) == ["after"]
    assert "failed" not in fake.calls("chat.postMessage")[-1]


def test_rate_limit_outage_for_some_methods_over_http(fake: FakeSlack, client: WebClient) -> None:
    root = fake.url
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    body = {"status": 429, "retry_after": 7, "until": until, "methods": ["chat.postMessage"]}
    assert http(f"{root}/_fake/outage", body)[0] == 200
    with pytest.raises(SlackApiError) as limited:
        client.chat_postMessage(channel=CHANNEL, text="hi")
    assert limited.value.response.status_code == 429 and limited.value.response["error"] == "ratelimited"
    assert limited.value.response.headers["Retry-After"] == "7"
    assert client.auth_test()["ok"]  # other methods work
    assert http(f"{root}/_fake/calls")[2][0]["failed"] is True
    assert http(f"{root}/_fake/outage", method="DELETE")[0] == 200
    assert client.chat_postMessage(channel=CHANNEL, text="hi")["ok"]
    assert http(f"{root}/_fake/outage", {"status": 500, "until": "2026-12-02T10:00:00"})[0] == 400  # no offset
    fake.outage(status=500)  # until ended
    request = urllib.request.Request(f"{fake.base_url}auth.test", data=b"",
                                     headers={"Authorization": f"Bearer {TOKEN}"}, method="POST")
    with pytest.raises(urllib.error.HTTPError) as plain:
        urllib.request.urlopen(request, timeout=5)
    assert plain.value.code == 500 and plain.value.headers["Content-Type"].startswith("text/plain")
    fake.reset()  # ends it too
    assert client.auth_test()["ok"]


def test_slow_answer_posts_but_the_client_times_out(fake: FakeSlack) -> None:
    impatient = WebClient(token=TOKEN, base_url=fake.base_url, timeout=1)
    assert http(f"{fake.url}/_fake/slow", {"method": "chat.postMessage", "delay": 2.5})[0] == 200
    started = time.monotonic()
    with pytest.raises(OSError):  # urllib's timeout (TimeoutError / URLError)
        impatient.chat_postMessage(channel=CHANNEL, text="did it go?")
    assert time.monotonic() - started < 2.4
    assert texts(fake.messages(CHANNEL)) == ["did it go?"]  # it did
    assert impatient.chat_postMessage(channel=CHANNEL, text="next")["ok"]  # count=1: used up
    fake.slow_next("chat.postMessage", 0.3, count=2)
    started = time.monotonic()
    client = WebClient(token=TOKEN, base_url=fake.base_url, timeout=5)
    client.chat_postMessage(channel=CHANNEL, text="a")
    client.chat_postMessage(channel=CHANNEL, text="b")
    assert time.monotonic() - started >= 0.6


def test_a_sender_finds_its_post_by_metadata_in_channels_threads_and_dms(fake: FakeSlack, client: WebClient) -> None:
    """After an unknown outcome a sender looks for its own post: metadata comes back when asked for."""
    meta = {"event_type": "support_hero_effect", "event_payload": {"effect": "e-1"}}
    parent = client.chat_postMessage(channel=CHANNEL, text="top", metadata=meta)
    client.chat_postMessage(channel=CHANNEL, thread_ts=parent["ts"], text="reply",
                            metadata={"event_type": "support_hero_effect", "event_payload": {"effect": "e-2"}})
    dm = client.conversations_open(users="U0HERO1")["channel"]["id"]
    assert dm.startswith("D")
    client.chat_postMessage(channel=dm, text="dm", metadata={"event_type": "support_hero_effect",
                                                             "event_payload": {"effect": "e-3"}})
    direct = client.chat_postMessage(channel="U0HERO1", text="to the user id")
    assert direct["channel"] == dm  # Slack answers with the DM it posted in

    history = client.conversations_history(channel=CHANNEL, include_all_metadata=True)["messages"]
    assert [m["metadata"] for m in history] == [meta]
    assert "metadata" not in client.conversations_history(channel=CHANNEL)["messages"][0]
    replies = client.conversations_replies(channel=CHANNEL, ts=parent["ts"], include_all_metadata=True)["messages"]
    assert [m["metadata"]["event_payload"]["effect"] for m in replies] == ["e-1", "e-2"]
    dms = client.conversations_history(channel=dm, include_all_metadata=True)["messages"]
    assert [m["text"] for m in dms] == ["to the user id", "dm"]
    assert dms[1]["metadata"]["event_payload"] == {"effect": "e-3"} and "metadata" not in dms[0]
