"""API Gateway (REST, Lambda proxy) events, as Lambda hands them to ``app.app`` (stdlib only)."""

from __future__ import annotations

import base64
from typing import Any


def proxy_event(path: str, body: bytes, headers: dict[str, str], method: str = "POST") -> dict[str, Any]:
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "path": f"/api{path}",
            "stage": "api",
            "requestId": "local-request",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": base64.b64encode(body).decode(),
        "isBase64Encoded": True,
    }


class LambdaContext:
    function_name = "support-hero-dev"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:support-hero-dev"
    memory_limit_in_mb = 512
    aws_request_id = "local-request"
    log_group_name = "/aws/lambda/support-hero-dev"
    log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000
