"""Secrets by name: the value from the environment (local stack) or an SSM parameter.

Two readers share one cache contract (value kept ``max_age`` seconds):

* :class:`IngressSecrets` signs its own SSM request (:mod:`chalicelib.platform.awslite`) so the
  Slack ingress never imports boto3;
* :class:`PowertoolsSecrets` uses Powertools' parameters utility (boto3) on the worker
  and agent API paths, where boto3 is loaded anyway.
"""

from __future__ import annotations

import os
import time
from typing import Protocol

from chalicelib.platform.awslite import JsonProtocolClient, ssm_client


class SecretMissing(Exception):
    """A secret has neither a value nor a parameter name configured."""


class SecretReader(Protocol):
    def get(self, name: str) -> str: ...


class _EnvOrParameter:
    """The lookup both readers share: the value itself wins; else the parameter named ``<NAME>_PARAM``."""

    def get(self, name: str) -> str:
        value = os.environ.get(name)
        if value:
            return value
        param = os.environ.get(f"{name}_PARAM")
        if not param:
            raise SecretMissing(f"{name} is not configured (set {name} or {name}_PARAM)")
        return self._fetch(param)

    def _fetch(self, param: str) -> str:
        raise NotImplementedError


class IngressSecrets(_EnvOrParameter):
    def __init__(self, region: str, max_age: int = 300, client: JsonProtocolClient | None = None) -> None:
        self._region = region
        self._max_age = max_age
        self._client = client
        self._cache: dict[str, tuple[float, str]] = {}

    def _fetch(self, param: str) -> str:
        cached = self._cache.get(param)
        now = time.monotonic()
        if cached and now - cached[0] < self._max_age:
            return cached[1]
        if self._client is None:
            self._client = ssm_client(self._region)
        result = self._client.call("GetParameter", {"Name": param, "WithDecryption": True})
        secret = str(result["Parameter"]["Value"])
        self._cache[param] = (now, secret)
        return secret


class PowertoolsSecrets(_EnvOrParameter):
    def __init__(self, max_age: int = 300) -> None:
        self._max_age = max_age

    def _fetch(self, param: str) -> str:
        from aws_lambda_powertools.utilities import parameters

        return str(parameters.get_parameter(param, decrypt=True, max_age=self._max_age))
