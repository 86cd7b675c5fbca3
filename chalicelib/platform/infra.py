"""Create (or bring up to date) the tables and queues of a stage.  Idempotent.

Used the same way against a real AWS account and against the embedded AWS of the
local stack: ``python -m chalicelib.cli bootstrap``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3

from chalicelib.models import ALL_MODELS, bind_models
from chalicelib.models.directory import DirectoryItem
from chalicelib.models.outbox import OutboxItem
from chalicelib.platform.config import Settings, endpoint_url

MAX_RECEIVE_COUNT = 5
VISIBILITY_FACTOR = 6  # AWS: visibility timeout >= 6x the function timeout


@dataclass(frozen=True)
class QueueInfo:
    url: str
    arn: str
    dlq_url: str
    dlq_arn: str


def dlq_name(queue_name: str) -> str:
    base = queue_name[: -len(".fifo")] if queue_name.endswith(".fifo") else queue_name
    return f"{base}-dlq.fifo" if queue_name.endswith(".fifo") else f"{base}-dlq"


def ensure_tables(settings: Settings) -> list[str]:
    bind_models(table_prefix=settings.table_prefix, region=settings.region, host=endpoint_url("dynamodb"))
    dynamodb = boto3.client("dynamodb", region_name=settings.region, endpoint_url=endpoint_url("dynamodb"))
    names = []
    for model in ALL_MODELS:
        if not model.exists():
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
        else:
            _add_missing_indexes(dynamodb, model)
        name = model.Meta.table_name
        # Tickets are the team's record of every customer conversation: keep 35 days of restore points.
        dynamodb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
        if model in (DirectoryItem, OutboxItem):
            _ensure_ttl(dynamodb, name, "expires_at")  # claims, watches, markers and delivered steps age out
        names.append(name)
    return names


def _ensure_ttl(dynamodb: Any, table: str, attribute: str) -> None:
    current = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    if current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") and current.get("AttributeName") == attribute:
        return
    dynamodb.update_time_to_live(TableName=table,
                                 TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute})


def _add_missing_indexes(dynamodb: Any, model: Any) -> None:
    """An upgrade that adds an index to a deployed table: one UpdateTable per index (DynamoDB's rule)."""
    name = model.Meta.table_name
    existing = {g["IndexName"] for g in dynamodb.describe_table(TableName=name)["Table"].get(
        "GlobalSecondaryIndexes", [])}
    schema = model._get_schema()
    for index in schema.get("global_secondary_indexes", []):
        if index["index_name"] in existing:
            continue
        dynamodb.update_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": a["AttributeName"], "AttributeType": a["AttributeType"]}
                                  for a in index["attribute_definitions"]],
            GlobalSecondaryIndexUpdates=[{"Create": {
                "IndexName": index["index_name"], "KeySchema": index["key_schema"],
                "Projection": index["projection"]}}],
        )
        dynamodb.get_waiter("table_exists").wait(TableName=name)


def _ensure_queue(sqs: Any, name: str, attributes: dict[str, str]) -> tuple[str, str]:
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    else:
        mutable = {k: v for k, v in attributes.items() if k not in ("FifoQueue",)}
        sqs.set_queue_attributes(QueueUrl=url, Attributes=mutable)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def ensure_queues(settings: Settings) -> QueueInfo:
    sqs = boto3.client("sqs", region_name=settings.region, endpoint_url=endpoint_url("sqs"))
    fifo = settings.events_queue_name.endswith(".fifo")
    base: dict[str, str] = {"SqsManagedSseEnabled": "true"}  # message bodies are customer text
    if fifo:
        base["FifoQueue"] = "true"
    dlq_url, dlq_arn = _ensure_queue(
        sqs, dlq_name(settings.events_queue_name), {**base, "MessageRetentionPeriod": str(14 * 24 * 3600)}
    )
    url, arn = _ensure_queue(
        sqs,
        settings.events_queue_name,
        {
            **base,
            "VisibilityTimeout": str(VISIBILITY_FACTOR * settings.worker_timeout_seconds),
            "MessageRetentionPeriod": str(4 * 24 * 3600),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}),
        },
    )
    return QueueInfo(url, arn, dlq_url, dlq_arn)


def _client(service: str, settings: Settings) -> Any:
    return boto3.client(service, region_name=settings.region, endpoint_url=endpoint_url(service))


def ensure_mail(settings: Settings) -> dict[str, Any]:
    """The inbound mail path: bucket (private, encrypted, expiring), SNS topic, SES receipt rule set.

    The rule set is created, not activated: an account has one active rule set, so activating
    it is the operator's call (README, "Deploy to AWS").
    """
    s3, sns, ses = _client("s3", settings), _client("sns", settings), _client("ses", settings)
    account = _client("sts", settings).get_caller_identity()["Account"]
    bucket = settings.mail_bucket
    try:
        s3.head_bucket(Bucket=bucket)
    except s3.exceptions.ClientError:
        kwargs: dict[str, Any] = {"Bucket": bucket}
        if settings.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": settings.region}
        s3.create_bucket(**kwargs)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "expire-raw-inbound-mail", "Status": "Enabled", "Filter": {"Prefix": "inbound/"},
         "Expiration": {"Days": 365}, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
    ]})
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "SesWritesInboundMail", "Effect": "Allow", "Principal": {"Service": "ses.amazonaws.com"},
        "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/inbound/*",
        "Condition": {"StringEquals": {"aws:SourceAccount": account}}}]}))
    topic_arn = sns.create_topic(Name=settings.inbound_mail_topic)["TopicArn"]
    sns.set_topic_attributes(TopicArn=topic_arn, AttributeName="Policy", AttributeValue=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Sid": "SesPublishesReceipts", "Effect": "Allow", "Principal": {"Service": "ses.amazonaws.com"},
            "Action": "SNS:Publish", "Resource": topic_arn,
            "Condition": {"StringEquals": {"aws:SourceAccount": account}}}]}))
    result: dict[str, Any] = {"mail_bucket": bucket, "inbound_topic": topic_arn}
    if settings.support_address:
        rule_set = f"support-hero-{settings.stage}"
        existing = {r["Name"] for r in ses.list_receipt_rule_sets().get("RuleSets", [])}
        if rule_set not in existing:
            ses.create_receipt_rule_set(RuleSetName=rule_set)
        rule = {
            "Name": "support-inbound",
            "Enabled": True,
            "TlsPolicy": "Optional",
            "Recipients": [settings.support_address.partition("@")[2]],
            "Actions": [{"S3Action": {"BucketName": bucket, "ObjectKeyPrefix": "inbound/", "TopicArn": topic_arn}}],
            "ScanEnabled": True,
        }
        rules = ses.describe_receipt_rule_set(RuleSetName=rule_set).get("Rules", [])
        if any(r["Name"] == rule["Name"] for r in rules):
            ses.update_receipt_rule(RuleSetName=rule_set, Rule=rule)
        else:
            ses.create_receipt_rule(RuleSetName=rule_set, Rule=rule)
        result["receipt_rule_set"] = rule_set
    return result


def email_function_name(settings: Settings) -> str:
    return f"support-hero-{settings.stage}-on_inbound_email"


def ensure_inbound_failure_destination(settings: Settings) -> dict[str, Any]:
    """Nothing lost on the email path: SNS invokes the email function asynchronously; after
    Lambda's retries a failed notification goes to this queue (an on-failure destination),
    from where it can be replayed. The function exists only after ``chalice deploy``, so this
    step is skipped until then (``make deploy`` runs bootstrap again afterwards)."""
    sqs = _client("sqs", settings)
    name = f"support-hero-{settings.stage}-inbound-failed"
    url, arn = _ensure_queue(sqs, name, {"SqsManagedSseEnabled": "true",
                                         "MessageRetentionPeriod": str(14 * 24 * 3600)})
    lam = _client("lambda", settings)
    function = email_function_name(settings)
    try:
        lam.get_function(FunctionName=function)
    except lam.exceptions.ResourceNotFoundException:
        return {"inbound_failed_queue": url, "inbound_failure_destination": "skipped: function not deployed yet"}
    lam.put_function_event_invoke_config(
        FunctionName=function, MaximumRetryAttempts=2, MaximumEventAgeInSeconds=6 * 3600,
        DestinationConfig={"OnFailure": {"Destination": arn}},
    )
    return {"inbound_failed_queue": url, "inbound_failure_destination": arn}


def bootstrap(settings: Settings) -> dict[str, Any]:
    tables = ensure_tables(settings)
    queues = ensure_queues(settings)
    mail = ensure_mail(settings)
    failed = ensure_inbound_failure_destination(settings)
    return {"tables": tables, "queue": queues.url, "dead_letter_queue": queues.dlq_url, **mail, **failed}
