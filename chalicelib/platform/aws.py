"""boto3 clients for the worker and the email Lambda, built once and lazily (never on the Slack ack path)."""

from __future__ import annotations

import threading
from typing import Any

from chalicelib.platform.config import endpoint_url


class AwsClients:
    def __init__(self, region: str) -> None:
        self.region = region
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                import boto3

                self._clients[service] = boto3.client(
                    service, region_name=self.region, endpoint_url=endpoint_url(service)
                )
            return self._clients[service]

    def get_object(self, bucket: str, key: str) -> bytes:
        body: bytes = self.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        return body

    def put_object(self, bucket: str, key: str, data: bytes, content_type: str = "message/rfc822") -> None:
        self.client("s3").put_object(
            Bucket=bucket, Key=key, Body=data, ContentType=content_type, ServerSideEncryption="AES256"
        )

    def download_url(self, bucket: str, key: str, filename: str, seconds: int = 300) -> str:
        """A short-lived presigned GET of one object, saved as ``filename``: bytes straight from S3,
        never through API Gateway (which would re-encode a binary body)."""
        url: str = self.client("s3").generate_presigned_url(
            "get_object", ExpiresIn=seconds,
            Params={"Bucket": bucket, "Key": key,
                    "ResponseContentDisposition": f'attachment; filename="{filename}"',
                    "ResponseContentType": "message/rfc822"})
        return url
