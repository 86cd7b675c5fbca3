"""The contact form's part of the composition root: replies by email, the intake for the routes."""

from __future__ import annotations

from pynamodb.connection import Connection

from chalicelib.channels.contact.intake import ContactIntake
from chalicelib.channels.contact.limits import ContactLimits
from chalicelib.channels.wiring import Wiring
from chalicelib.platform.config import endpoint_url


def wire(w: Wiring) -> None:
    if "email" not in w.replies:
        raise RuntimeError("the contact channel answers by email: install 'email' before 'contact' in INSTALLED")
    w.replies["contact"] = w.replies["email"]  # EmailReplies reads the origin a contact ticket is given
    if w.surveys is not None and "email_survey" in w.parts:
        w.surveys.register("contact", w.parts["email_survey"].send)  # asked by email, like the answers
    connection = Connection(region=w.settings.region, host=endpoint_url("dynamodb"))
    w.parts["contact"] = ContactIntake(
        tickets=w.tickets, directory=w.directory, clock=w.clock,
        limits=ContactLimits(clock=w.clock, connection=connection), support_address=w.settings.support_address,
    )
