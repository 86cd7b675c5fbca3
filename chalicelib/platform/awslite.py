"""A small AWS client for the ingress path: SigV4 over ``http.client``.

Why not boto3 here: importing botocore and building a client costs ~0.4-0.6 s of
cold start, and the Slack ingress must answer within 3 s including a Lambda cold
start.  The ingress needs exactly two calls (SQS ``SendMessage``/``GetQueueUrl``
and SSM ``GetParameter``), both on AWS's JSON protocol, so a signer of ~80 lines
does the job.  ``tests/test_awslite.py`` checks the signer against botocore's
own ``SigV4Auth`` and the client against the embedded AWS (moto server).
Everything off the ingress path uses boto3 / PynamoDB as usual.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import http.client
import json
import os
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.platform.config import endpoint_url


class AwsError(Exception):
    """An AWS API answered with an error."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(f"{code}: {message} (HTTP {status})")
        self.code = code
        self.status = status


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    token: str | None = None


def credentials_from_environment() -> Credentials:
    """Lambda puts the role's credentials in the environment; use them directly.

    Anywhere else (a laptop with a profile), fall back to botocore's resolver.
    """
    key = os.environ.get("AWS_ACCESS_KEY_ID")
    secret = os.environ.get("AWS_SECRET_ACCESS_KEY")
    if key and secret:
        return Credentials(key, secret, os.environ.get("AWS_SESSION_TOKEN") or None)
    import botocore.session  # slow path, off Lambda only

    creds = botocore.session.get_session().get_credentials()
    if creds is None:
        raise AwsError("NoCredentials", "no AWS credentials found", 0)
    frozen = creds.get_frozen_credentials()
    return Credentials(frozen.access_key, frozen.secret_key, frozen.token)


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def sign_v4(
    *,
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    service: str,
    region: str,
    credentials: Credentials,
    now: _dt.datetime,
) -> dict[str, str]:
    """Return ``headers`` plus the SigV4 ``Authorization`` (and date/token) headers."""
    parsed = urllib.parse.urlsplit(url)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    out = dict(headers)
    out["host"] = parsed.netloc
    out["x-amz-date"] = amz_date
    if credentials.token:
        out["x-amz-security-token"] = credentials.token
    canonical_headers = {k.lower().strip(): " ".join(v.strip().split()) for k, v in out.items()}
    signed = sorted(canonical_headers)
    query = urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)
    canonical_query = "&".join(
        f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
        for k, v in sorted(query)
    )
    path = urllib.parse.quote(parsed.path or "/", safe="/-_.~")
    canonical_request = "\n".join(
        [
            method,
            path,
            canonical_query,
            "".join(f"{k}:{canonical_headers[k]}\n" for k in signed),
            ";".join(signed),
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{date}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = _hmac(("AWS4" + credentials.secret_key).encode(), date)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    out["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, "
        f"SignedHeaders={';'.join(signed)}, Signature={signature}"
    )
    return out


class JsonProtocolClient:
    """Calls one AWS service that speaks the JSON protocol (``X-Amz-Target``)."""

    RETRYABLE_CODES = frozenset({"ThrottlingException", "RequestThrottled", "ServiceUnavailable", "InternalError"})

    def __init__(
        self,
        *,
        service: str,
        target_prefix: str,
        json_version: str,
        region: str,
        endpoint: str | None = None,
        credentials: Callable[[], Credentials] = credentials_from_environment,
        timeout: float = 2.0,
        max_attempts: int = 3,
    ) -> None:
        self.service = service
        self.target_prefix = target_prefix
        self.content_type = f"application/x-amz-json-{json_version}"
        self.region = region
        self.endpoint = (endpoint or endpoint_url(service) or f"https://{service}.{region}.amazonaws.com").rstrip("/")
        self._credentials = credentials
        self._timeout = timeout
        self._max_attempts = max_attempts
        # One kept-alive connection per thread: an http.client connection carries one request at a
        # time, and `chalice local` (like any threaded server) calls the ingress from many threads.
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            parsed = urllib.parse.urlsplit(self.endpoint)
            cls = http.client.HTTPSConnection if parsed.scheme == "https" else http.client.HTTPConnection
            conn = self._local.conn = cls(parsed.netloc, timeout=self._timeout)
        return conn

    def call(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps(params).encode("utf-8")
        last: Exception | None = None
        for attempt in range(self._max_attempts):
            if attempt:
                time.sleep(min(0.05 * 2**attempt, 0.5))
            headers = sign_v4(
                method="POST",
                url=self.endpoint + "/",
                headers={"content-type": self.content_type, "x-amz-target": f"{self.target_prefix}.{action}"},
                body=body,
                service=self.service,
                region=self.region,
                credentials=self._credentials(),
                now=_dt.datetime.now(_dt.UTC),
            )
            try:
                conn = self._connection()
                conn.request("POST", "/", body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as exc:
                # A kept-alive connection closed by the peer, a timeout, a reset: reconnect.
                self._close()
                last = exc
                continue
            status = response.status
            payload: dict[str, Any] = json.loads(data) if data else {}
            if status == 200:
                return payload
            code = str(payload.get("__type", "Unknown")).rsplit("#", 1)[-1]
            error = AwsError(code, str(payload.get("message") or payload.get("Message") or ""), status)
            if status >= 500 or code in self.RETRYABLE_CODES:
                last = error
                continue
            raise error
        assert last is not None
        if isinstance(last, AwsError):
            raise last
        raise AwsError("ConnectionError", str(last), 0) from last

    def _close(self) -> None:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def sqs_client(region: str) -> JsonProtocolClient:
    return JsonProtocolClient(service="sqs", target_prefix="AmazonSQS", json_version="1.0", region=region)


def ssm_client(region: str) -> JsonProtocolClient:
    return JsonProtocolClient(service="ssm", target_prefix="AmazonSSM", json_version="1.1", region=region)


def dynamodb_client(region: str) -> JsonProtocolClient:
    return JsonProtocolClient(service="dynamodb", target_prefix="DynamoDB_20120810", json_version="1.0",
                              region=region)
