"""The email channel's part of the composition root."""

from __future__ import annotations

from chalicelib.channels.email.intake import ACK, EmailIntake
from chalicelib.channels.email.replies import EmailReplies
from chalicelib.channels.wiring import Wiring


def wire(w: Wiring) -> None:
    intake = EmailIntake(
        tickets=w.tickets, directory=w.directory, clock=w.clock, get_object=w.aws.get_object,
        put_object=w.aws.put_object, mailer=w.mailer, support_address=w.settings.support_address,
        mail_bucket=w.settings.mail_bucket, ack_enabled=w.settings.email_ack_enabled,
    )
    w.outbox.register(ACK, intake.ack_step)
    w.replies["email"] = EmailReplies(tickets=w.tickets, directory=w.directory, mailer=w.mailer)
    w.parts["email_intake"] = intake
