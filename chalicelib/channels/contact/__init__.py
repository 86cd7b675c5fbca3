"""The contact form: a public page where anyone without Slack or a mail client reaches the team.

``GET /contact`` serves the form, ``POST /contact`` opens a ticket (channel ``contact``); the agent's
replies go back by email (the email channel's :class:`~chalicelib.channels.email.replies.EmailReplies`)
and the customer's email replies thread onto the ticket through its reply address and Message-IDs.
"""
