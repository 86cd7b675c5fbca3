"""People: one person across Slack, email and GitHub, linked from facts only; their tickets at a glance."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from chalicelib.desk.directory import DirectoryError, parse_directory
from chalicelib.desk.people import Identity, requester_identity
from chalicelib.desk.tickets import InvalidInput
from tests.conftest import ROOT, Stack
from tests.helpers import message, reaction
from tests.test_email import mail
from tests.test_github import comment_payload

SAM_TS = "1700000100.000100"


def api(stack: Stack, method: str, path: str, body: Any = None, status: int = 200) -> Any:
    response = stack.api(method, path, body=body)
    assert response.status_code == status, response.body
    return json.loads(response.body)


def sam_asks_in_community(stack: Stack, ts: str = SAM_TS, email: str | None = "sam@acme.example") -> None:
    stack.slack.add_user("U0SAM1", "sam", real_name="Sam Example", email=email)
    stack.slack.add_message("C0COMMUNITY", ts, "U0SAM1", "Can I export my data?")
    assert stack.post_event(reaction("U0HERO1", "C0COMMUNITY", ts)).status_code == 200
    stack.drain()


def test_identities_are_normalised_and_checked() -> None:
    assert Identity.parse("email:Sam@ACME.example").key == "email:sam@acme.example"
    assert Identity.parse("github:OctoCat").key == "github:octocat"
    assert Identity.parse("slack:U0SAM1").key == "slack:U0SAM1"
    assert Identity.parse("email:ivan@example.xn--p1ai").key == "email:ivan@example.xn--p1ai"  # .рф
    for bad in ("email:nobody", "slack:sam", "github:-x-", "phone:123", "", "email:a@b", "github:" + "a" * 40):
        with pytest.raises(InvalidInput, match="not an identity"):
            Identity.parse(bad)


def test_a_free_mail_domain_cannot_make_a_customer() -> None:
    text = (ROOT / "devstack" / "directory.toml").read_text()
    domains = 'email_domains = ["acme.example"]'
    with pytest.raises(DirectoryError, match="free-mail"):
        parse_directory(text.replace(domains, 'email_domains = ["acme.example", "Gmail.com"]'))
    orgs = parse_directory(text.replace(domains, domains + '\ngithub_orgs = ["AcmeCorp"]\nsurveys = false'))
    [acme] = orgs.customers
    assert acme.github_orgs == ("acmecorp",) and acme.surveys is False


def test_slack_then_email_is_one_person_of_acme_and_the_second_ticket_shows_the_first(stack: Stack) -> None:
    sam_asks_in_community(stack)
    first = api(stack, "GET", "/api/tickets/1")
    # The Slack profile's email (users:read.email) is a fact: Sam belongs to Acme, the ticket has Acme's tier.
    assert first["person"]["company"] == {"id": "acme", "name": "Acme"} and first["tier"] == "enterprise"
    assert first["person"]["earlier"]["count"] == 0
    stack.email(mail(frm="Sam <sam@acme.example>", subject="Export", body="Following up by mail.")[0])
    second = api(stack, "GET", "/api/tickets/2")
    assert second["person"]["person"] == first["person"]["person"]
    assert second["person"]["earlier"]["count"] == 1 and second["person"]["earlier"]["open"] == [1]
    assert [e["number"] for e in second["person"]["earlier"]["last"]] == [1]

    person = api(stack, "GET", f"/api/people/{first['person']['person']}")
    assert person["identities"] == ["email:sam@acme.example", "slack:U0SAM1"]
    assert person["company"]["name"] == "Acme" and person["tier"] == "enterprise"
    assert [t["number"] for t in person["tickets"]] == [2, 1]  # every channel, newest first
    assert [t["channel"] for t in person["tickets"]] == ["email", "slack"]
    for query in ("email=SAM@acme.example", "slack=U0SAM1"):
        assert api(stack, "GET", f"/api/people?{query}")["id"] == person["id"]

    # The email ticket's announcement in the triage channel says so.
    [announce] = [c["params"] for c in stack.slack.calls("chat.postMessage")
                  if c["params"]["channel"] == "C0TRIAGE" and not c["params"].get("thread_ts")]
    assert "1 earlier ticket" in announce["text"]
    assert "1 earlier ticket" in json.dumps(announce["blocks"])


def test_a_display_name_never_links_people(stack: Stack) -> None:
    for user, ts in (("U0TWIN1", "1700000200.000100"), ("U0TWIN2", "1700000300.000100")):
        stack.slack.add_user(user, "alex", real_name="Alex Same")  # no profile email: no fact
        stack.slack.add_message("C0COMMUNITY", ts, user, "Same name, different person")
        stack.post_event(reaction("U0HERO1", "C0COMMUNITY", ts))
        stack.drain()
    a = api(stack, "GET", "/api/people?slack=U0TWIN1")
    b = api(stack, "GET", "/api/people?slack=U0TWIN2")
    assert a["id"] != b["id"] and a["name"] == b["name"] == "Alex Same"
    assert a["company"]["id"] == "community"


def test_a_free_mail_address_belongs_to_no_company(stack: Stack) -> None:
    sam_asks_in_community(stack, email="sam.home@gmail.com")
    person = api(stack, "GET", "/api/people?email=sam.home@gmail.com")
    assert person["company"]["id"] == "community" and person["tier"] == "community"
    assert api(stack, "GET", "/api/tickets/1")["tier"] == "community"


def test_forged_mail_joins_nobodys_history(stack: Stack) -> None:
    sam_asks_in_community(stack)
    stack.email(mail(frm="Sam <sam@acme.example>", subject="Give me the data")[0], verdicts={"spf": "FAIL",
                                                                                          "dkim": "FAIL",
                                                                                          "dmarc": "FAIL"})
    forged = api(stack, "GET", "/api/tickets/2")
    assert forged["person"]["person"] is None
    person = api(stack, "GET", "/api/people?slack=U0SAM1")
    assert [t["number"] for t in person["tickets"]] == [1]


def test_github_public_email_and_org_link_the_person(stack: Stack) -> None:
    from tests.conftest import team_directory

    directory = team_directory()
    import dataclasses

    acme = dataclasses.replace(directory.customers[0], github_orgs=("acmecorp",))
    stack.services.directory.replace(dataclasses.replace(directory, customers=(acme,)))
    stack.github.add_user("sam-codes", email="sam@acme.example")
    stack.github.add_user("roadrunner", email=None, orgs=("AcmeCorp",))
    stack.email(mail(frm="Sam <sam@acme.example>", subject="Export", body="By mail first.")[0])
    for i, login in enumerate(("sam-codes", "roadrunner"), 1):
        response = stack.github_delivery("issue_comment", comment_payload(login=login, comment_id=i, number=i))
        assert response.status_code == 202
        stack.drain()
    sam = api(stack, "GET", "/api/people?github=Sam-Codes")
    assert sam["identities"] == ["email:sam@acme.example", "github:sam-codes"]
    assert [t["channel"] for t in sam["tickets"]] == ["email", "github"]  # the comment was written 2026-11-20
    runner = api(stack, "GET", "/api/people?github=roadrunner")
    assert runner["company"]["name"] == "Acme" and runner["identities"] == ["github:roadrunner"]
    github_tickets = [t for t in api(stack, "GET", "/api/tickets?view=all")["tickets"] if t["channel"] == "github"]
    assert {t["tier"] for t in github_tickets} == {"enterprise"}


def test_agents_link_and_unlink_and_an_unlink_stays(stack: Stack) -> None:
    sam_asks_in_community(stack, email=None)
    stack.email(mail(frm="S <sam.private@example.org>", subject="Hello")[0])
    slack_person = api(stack, "GET", "/api/people?slack=U0SAM1")
    mail_person = api(stack, "GET", "/api/people?email=sam.private@example.org")
    assert slack_person["id"] != mail_person["id"]

    linked = api(stack, "POST", "/api/people/link", {"a": "slack:U0SAM1", "b": "email:sam.private@example.org"})
    assert linked["identities"] == ["email:sam.private@example.org", "slack:U0SAM1"]
    assert [t["number"] for t in linked["tickets"]] == [2, 1]
    # The merged person's old id still finds the person it became.
    assert api(stack, "GET", f"/api/people/{mail_person['id']}")["id"] == linked["id"] or \
        api(stack, "GET", f"/api/people/{slack_person['id']}")["id"] == linked["id"]

    unlinked = api(stack, "POST", "/api/people/unlink", {"identity": "email:sam.private@example.org"})
    assert unlinked["alone"]["identities"] == ["email:sam.private@example.org"]
    assert unlinked["left"]["identities"] == ["slack:U0SAM1"]
    # A fact (the Slack profile now shows that address) does not undo an agent's unlink...
    stack.slack.add_user("U0SAM1", "sam", real_name="Sam Example", email="sam.private@example.org")
    stack.slack.add_message("C0COMMUNITY", "1700000400.000100", "U0SAM1", "Again")
    stack.post_event(reaction("U0HERO1", "C0COMMUNITY", "1700000400.000100"))
    stack.drain()
    assert api(stack, "GET", "/api/people?slack=U0SAM1")["identities"] == ["slack:U0SAM1"]
    # ...but an agent's link does.
    again = api(stack, "POST", "/api/people/link", {"a": "email:sam.private@example.org", "b": "slack:U0SAM1"})
    assert again["identities"] == ["email:sam.private@example.org", "slack:U0SAM1"]


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    ("GET", "/api/people", None, 400),
    ("GET", "/api/people?email=a@b.example&slack=U0SAM1", None, 400),
    ("GET", "/api/people?email=nobody", None, 400),
    ("GET", "/api/people?email=nobody@nowhere.example", None, 404),
    ("GET", "/api/people/P000000000000", None, 404),
    ("GET", "/api/people/..%2F..", None, 404),
    ("POST", "/api/people/link", {"a": "slack:U0SAM1"}, 400),
    ("POST", "/api/people/link", {"a": "slack:U0SAM1", "b": "slack:U0SAM1"}, 400),
    ("POST", "/api/people/link", {"a": "slack:U0SAM1", "b": "email:ada@example.com"}, 400),  # a team member
    ("POST", "/api/people/link", {"a": "slack:U0SAM1", "b": "name:Sam"}, 400),
    ("POST", "/api/people/unlink", {"identity": "email:alone@nowhere.example"}, 400),
    ("POST", "/api/people/unlink", {"identity": 5}, 400),
])
def test_bad_people_requests_are_4xx_and_write_nothing(stack: Stack, method: str, path: str, body: Any,
                                                         status: int) -> None:
    from chalicelib.models.directory import DirectoryItem

    before = sum(1 for i in DirectoryItem.scan() if i.pk.startswith(("PERSON#", "IDENT#")))
    api(stack, method, path, body, status=status)
    assert sum(1 for i in DirectoryItem.scan() if i.pk.startswith(("PERSON#", "IDENT#"))) == before
    assert stack.api("GET", "/api/people?email=a@b.example", token="wrong").status_code == 401


def test_racing_workers_make_one_person(stack: Stack) -> None:
    directory = stack.services.directory.load()
    people = stack.services.tickets.people
    results: list[str] = []
    barrier = threading.Barrier(4)

    def identify(i: int) -> None:
        barrier.wait()
        facts = [Identity("email", "racer@acme.example")] if i % 2 else []
        results.append(people.identify(Identity("slack", "U0RACE1"), directory, facts=facts).id)

    threads = [threading.Thread(target=identify, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    person = people.find(Identity("slack", "U0RACE1"))
    assert person is not None
    assert {people.get(r).id for r in results} == {person.id}
    assert sorted(person.identities) == ["email:racer@acme.example", "slack:U0RACE1"]
    assert person.company == "acme"


def test_ticket_person_command(stack: Stack) -> None:
    sam_asks_in_community(stack)
    from chalicelib.channels.slack.commands import CommandError, parse

    assert parse("person <@U0SAM1>").arg == "show slack:U0SAM1"
    assert parse("person link <mailto:sam@acme.example|sam@acme.example> github:sam").arg == \
        "link email:sam@acme.example github:sam"
    assert parse("person unlink #12").arg == "unlink #12"
    for bad in ("person", "person link <@U0SAM1>", "person unlink", "person Sam"):
        with pytest.raises(CommandError):
            parse(bad)
    body = "token=x&team_id=T0DEV&channel_id=C0TRIAGE&user_id=U0HERO1&command=%2Fticket&text=person+%231"
    from tests.conftest import sign

    response = stack.client.http.post("/slack/commands", body=body.encode(),
                                      headers={**sign(body.encode()),
                                               "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200
    stack.drain()
    [answer] = [c["params"] for c in stack.slack.calls("chat.postEphemeral")]
    assert "Acme" in answer["text"] and "email:sam@acme.example" in answer["text"] and "#1" in answer["text"]


def test_requester_identity_of_older_tickets() -> None:
    from chalicelib.models.tickets import Ticket

    assert requester_identity(Ticket("x", channel="contact", requester_id="A@B.example")) == \
        Identity("email", "a@b.example")
    assert requester_identity(Ticket("y", channel="slack", requester_id="<!channel>")) is None
    assert requester_identity(Ticket("z", channel="github", requester_key="github:octocat")) == \
        Identity("github", "octocat")


def test_team_members_are_not_people(stack: Stack) -> None:
    stack.slack.add_message("C0ACME", "1700000500.000100", "U0HERO2", "posting for the customer")
    stack.post_event(message("U0HERO2", "C0ACME", "1700000500.000100", "posting for the customer"))
    stack.drain()
    api(stack, "GET", "/api/people?slack=U0HERO2", status=404)


def test_backfill_gives_older_tickets_their_requester(stack: Stack) -> None:
    from chalicelib.desk.people_backfill import backfill
    from chalicelib.models.directory import DirectoryItem
    from chalicelib.models.tickets import Ticket

    sam_asks_in_community(stack)
    stack.email(mail(frm="Sam <sam@acme.example>", subject="Export")[0])
    stack.email(mail(frm="Mallory <sam@acme.example>", subject="Forged")[0], verdicts={"dmarc": "FAIL"})
    store = stack.services.tickets.store
    for number in (1, 2, 3):  # as tickets were before people existed
        store.update(store.by_number(number), {"requester_key": None}, versioned=False)
    for item in [i for i in DirectoryItem.scan() if i.pk.startswith(("IDENT#", "PERSON#"))]:
        item.delete()
    counts = backfill(store, stack.services.people, stack.services.directory.load())
    assert counts == {"tickets": 3, "keyed": 2, "unverified": 1, "people": 2}
    keys = [Ticket.get(store.by_number(n).ticket_id).requester_key for n in (1, 2, 3)]
    assert keys == ["slack:U0SAM1", "email:sam@acme.example", "unverified:sam@acme.example"]
    assert backfill(store, stack.services.people, stack.services.directory.load())["keyed"] == 0  # twice: no change
    person = api(stack, "GET", "/api/people?email=sam@acme.example")
    assert [t["number"] for t in person["tickets"]] == [2]  # no fact links the Slack id after the fact
