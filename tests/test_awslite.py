"""The ingress's own AWS client: its SigV4 signer against botocore's, and real calls
to the embedded AWS."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from chalicelib.platform.awslite import AwsError, Credentials, JsonProtocolClient, sign_v4, sqs_client, ssm_client
from chalicelib.platform.queue import SqsEventQueue
from chalicelib.platform.secrets import IngressSecrets, PowertoolsSecrets, SecretMissing

NOW = dt.datetime(2026, 11, 29, 12, 30, 45, tzinfo=dt.UTC)


@pytest.mark.parametrize("token", [None, "session-token-value"])
@pytest.mark.parametrize(
    ("url", "service"),
    [("https://sqs.eu-west-1.amazonaws.com/", "sqs"), ("http://127.0.0.1:5000/", "ssm"),
     ("https://example.com/a/b?x=1&a=2", "execute-api")],
)
def test_signature_matches_botocore(url: str, service: str, token: str | None,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import botocore.auth

    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: NOW)  # freeze the reference signer
    body = json.dumps({"QueueName": "q", "text": "é ü"}).encode()
    headers = {"content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.GetQueueUrl"}
    ours = sign_v4(method="POST", url=url, headers=headers, body=body, service=service, region="eu-west-1",
                   credentials=Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token), now=NOW)

    request = AWSRequest(method="POST", url=url, data=body, headers={**headers, "host": ours["host"]})
    signer = SigV4Auth(BotoCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token),
                       service, "eu-west-1")
    signer.add_auth(request)
    assert ours["Authorization"] == request.headers["Authorization"]


def test_sqs_send_reaches_the_queue(moto_endpoint: str) -> None:
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=moto_endpoint)
    url = sqs.create_queue(QueueName="lite-test.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    queue = SqsEventQueue(queue_name="lite-test.fifo", region="us-east-1")
    queue.send({"hello": "wörld"}, dedupe_key="d-1", group="g")
    queue.send({"hello": "again"}, dedupe_key="d-1", group="g")  # same dedupe id: dropped by SQS
    queue.send({"n": 2}, dedupe_key="x" * 300, group="g/with spaces")  # ids too long/odd are hashed
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"]) for m in got] == [{"hello": "wörld"}, {"n": 2}]


def test_aws_errors_are_typed(moto_endpoint: str) -> None:
    with pytest.raises(AwsError) as info:
        sqs_client("us-east-1").call("GetQueueUrl", {"QueueName": "does-not-exist"})
    assert "NonExistentQueue" in info.value.code or "QueueDoesNotExist" in info.value.code


def test_unreachable_endpoint_is_an_aws_error() -> None:
    client = JsonProtocolClient(service="sqs", target_prefix="AmazonSQS", json_version="1.0", region="us-east-1",
                                endpoint="http://127.0.0.1:9", timeout=0.5, max_attempts=2)
    with pytest.raises(AwsError, match="ConnectionError"):
        client.call("GetQueueUrl", {"QueueName": "x"})


def test_both_secret_readers_read_ssm(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    boto3.client("ssm", region_name="us-east-1", endpoint_url=moto_endpoint).put_parameter(
        Name="/support-hero/test/signing", Value="s3cr3t", Type="SecureString", Overwrite=True
    )
    monkeypatch.delenv("SLACK_SIGNING_SECRET", raising=False)
    monkeypatch.setenv("SLACK_SIGNING_SECRET_PARAM", "/support-hero/test/signing")
    assert IngressSecrets("us-east-1", client=ssm_client("us-east-1")).get("SLACK_SIGNING_SECRET") == "s3cr3t"
    assert PowertoolsSecrets().get("SLACK_SIGNING_SECRET") == "s3cr3t"
    monkeypatch.delenv("SLACK_SIGNING_SECRET_PARAM")
    with pytest.raises(SecretMissing):
        IngressSecrets("us-east-1").get("SLACK_SIGNING_SECRET")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "from-env")
    assert IngressSecrets("us-east-1").get("SLACK_SIGNING_SECRET") == "from-env"


def test_one_client_sends_from_many_threads_at_once(moto_endpoint: str) -> None:
    """`chalice local` serves the ingress on many threads that share one client: no request may fail."""
    import threading

    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=moto_endpoint)
    url = sqs.create_queue(QueueName="lite-threads.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    client = sqs_client("us-east-1")
    client.call("GetQueueUrl", {"QueueName": "lite-threads.fifo"})  # a kept-alive connection already exists
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def send(worker: int) -> None:
        start.wait()
        for n in range(25):
            try:
                client.call("SendMessage", {"QueueUrl": url, "MessageBody": f"{worker}-{n}",
                                            "MessageDeduplicationId": f"{worker}-{n}", "MessageGroupId": str(worker)})
            except Exception as exc:  # collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=send, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    assert int(attrs["ApproximateNumberOfMessages"]) == 200
