"""Slack: community channels (a :ticket: reaction), dedicated customer channels, and the team's own UI."""

from chalicelib.channels import ChannelSpec

SPEC = ChannelSpec(name="slack", label="Slack", colour="#0072b2", wire="chalicelib.channels.slack.wire:wire",
                   announced=False)
