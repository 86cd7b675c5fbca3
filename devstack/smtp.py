"""An SMTP ingress that plays SES inbound for the local stack.

Mail received on ``127.0.0.1:2525`` is stored in the mail bucket under ``inbound/`` and
announced on the inbound SNS topic with the same notification SES's S3 action sends.
The topic delivers to a local SQS "tap" queue, and :func:`sns_invoker` hands each
notification to the app's ``on_inbound_email`` function the way Lambda's SNS
trigger would. Messages over 40 MB are refused at SMTP, as SES refuses them.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from email import message_from_bytes, policy
from typing import Any

import boto3
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

MAX_MESSAGE_BYTES = 40 * 1024 * 1024


def receipt_notification(*, ses_id: str, raw: bytes, envelope_from: str, recipients: list[str], bucket: str,
                         topic_arn: str) -> dict[str, Any]:
    headers = message_from_bytes(raw, policy=policy.compat32)
    from chalicelib.platform.clock import clock_from_environment

    now = clock_from_environment().now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
    passed = {"status": "PASS"}
    # SPF, DKIM and DMARC cannot be checked on this machine (no DNS, no keys): the local SES says GRAY,
    # as SES does when there is nothing to check, so a mail claiming a team address proves nothing here.
    # LOCAL_SES_AUTH_VERDICT=PASS (or FAIL) plays a sender whose domain does (or does not) vouch for it.
    auth = {"status": os.environ.get("LOCAL_SES_AUTH_VERDICT", "GRAY").upper()}
    return {
        "notificationType": "Received",
        "mail": {
            "timestamp": now,
            "source": envelope_from,
            "messageId": ses_id,
            "destination": recipients,
            "headersTruncated": False,
            "commonHeaders": {
                "from": [str(headers.get("From", ""))],
                "to": [str(headers.get("To", ""))],
                "messageId": str(headers.get("Message-ID", "")),
                "subject": str(headers.get("Subject", "")),
            },
        },
        "receipt": {
            "timestamp": now,
            "recipients": recipients,
            "spamVerdict": passed, "virusVerdict": passed, "spfVerdict": auth,
            "dkimVerdict": auth, "dmarcVerdict": auth,
            "action": {"type": "S3", "topicArn": topic_arn, "bucketName": bucket, "objectKey": f"inbound/{ses_id}"},
        },
    }


class SesInboundHandler:
    def __init__(self, *, bucket: str, topic_arn: str, region: str, endpoint_url: str | None) -> None:
        self.bucket = bucket
        self.topic_arn = topic_arn
        self.s3 = boto3.client("s3", region_name=region, endpoint_url=endpoint_url)
        self.sns = boto3.client("sns", region_name=region, endpoint_url=endpoint_url)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if len(raw) > MAX_MESSAGE_BYTES:
            return "552 5.3.4 Message too big"
        ses_id = uuid.uuid4().hex
        self.s3.put_object(Bucket=self.bucket, Key=f"inbound/{ses_id}", Body=raw, ServerSideEncryption="AES256")
        notification = receipt_notification(
            ses_id=ses_id, raw=raw, envelope_from=str(envelope.mail_from or ""),
            recipients=[str(r) for r in envelope.rcpt_tos], bucket=self.bucket, topic_arn=self.topic_arn,
        )
        self.sns.publish(TopicArn=self.topic_arn, Message=json.dumps(notification),
                         Subject="Amazon SES Email Receipt Notification")
        return f"250 Ok {ses_id}"


def start_smtp(*, host: str, port: int, bucket: str, topic_arn: str, region: str,
               endpoint_url: str | None) -> Controller:
    handler = SesInboundHandler(bucket=bucket, topic_arn=topic_arn, region=region, endpoint_url=endpoint_url)
    controller = Controller(handler, hostname=host, port=port, data_size_limit=MAX_MESSAGE_BYTES)
    controller.start()
    return controller


def subscribe_tap(*, topic_arn: str, queue_name: str, region: str, endpoint_url: str | None) -> str:
    """A queue subscribed to the topic: the local stand-in for SNS invoking the Lambda."""
    sqs = boto3.client("sqs", region_name=region, endpoint_url=endpoint_url)
    sns = boto3.client("sns", region_name=region, endpoint_url=endpoint_url)
    url = str(sqs.create_queue(QueueName=queue_name)["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
    return url


def sns_invoker(function: Callable[[dict[str, Any], Any], Any], context: Any) -> Callable[[dict[str, Any]], None]:
    """Turn tap-queue records (SNS envelopes) into the SNS event Lambda would pass."""

    def invoke(sqs_event: dict[str, Any]) -> None:
        for record in sqs_event["Records"]:
            envelope = json.loads(record["body"])
            function({"Records": [{
                "EventSource": "aws:sns", "EventVersion": "1.0",
                "EventSubscriptionArn": f"{envelope.get('TopicArn')}:local",
                "Sns": {
                    "Type": envelope.get("Type", "Notification"), "MessageId": envelope.get("MessageId"),
                    "TopicArn": envelope.get("TopicArn"), "Subject": envelope.get("Subject"),
                    "Message": envelope["Message"], "Timestamp": envelope.get("Timestamp"),
                    "SignatureVersion": "1", "Signature": "local", "SigningCertUrl": "", "UnsubscribeUrl": "",
                    "MessageAttributes": {},
                },
            }]}, context)

    return invoke
