"""Outbound delivery per channel (Slack now; email and GitHub join behind the same shape)."""
