"""GitHub: people asking on issues of the watched repositories."""

from chalicelib.channels import ChannelSpec

SPEC = ChannelSpec(name="github", label="GitHub", colour="#009e73", wire="chalicelib.channels.github.wire:wire")
