"""Email to the support address, received by SES."""

from chalicelib.channels import ChannelSpec

SPEC = ChannelSpec(name="email", label="Email", colour="#e69f00", wire="chalicelib.channels.email.wire:wire",
                   acknowledges_itself=True, threaded=True)
