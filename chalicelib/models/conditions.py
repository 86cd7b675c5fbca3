"""What a failed conditional write means: the condition did not hold (another writer won, the item is
in another state), as opposed to the store failing."""

from __future__ import annotations

from pynamodb.exceptions import PynamoDBException


def conditional_failed(exc: PynamoDBException) -> bool:
    """The write was refused because its condition did not hold (``ConditionalCheckFailedException``)."""
    return exc.cause_response_code == "ConditionalCheckFailedException"
