"""The contact form on the public web (``GET``/``POST /contact``); replies go back by email."""

from chalicelib.channels import ChannelSpec

SPEC = ChannelSpec(name="contact", label="Contact form", colour="#d55e00",
                   routes="chalicelib.channels.contact.routes:bp", wire="chalicelib.channels.contact.wire:wire",
                   acknowledges_itself=True, threaded=True)
