"""The stdlib-only fast path: payload shapes checked at the edge, the team read without PynamoDB."""
