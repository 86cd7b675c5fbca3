"""The email channel's part of the composition root."""

from __future__ import annotations

from chalicelib.channels.email.intake import ACK, EmailIntake
from chalicelib.channels.email.replies import EmailReplies
from chalicelib.channels.email.survey import EmailSurvey, survey_link_key
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
    if w.surveys is not None:
        secrets = w.secrets
        survey = EmailSurvey(directory=w.directory, mailer=w.mailer, clock=w.clock,
                             link_key=lambda: survey_link_key(secrets.get("SLACK_SIGNING_SECRET")))
        w.surveys.register("email", survey.send)
        w.parts["email_survey"] = survey
