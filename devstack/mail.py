"""Send an email to the local stack's SMTP ingress (what a customer's mail server would do).

  python -m devstack.mail --from someone@acme.example --subject "Builds fail" --text "Since 10:00"
  python -m devstack.mail --from someone@acme.example --in-reply-to "<id@acme.example>" --text "More"
  python -m devstack.mail --from someone@acme.example --header "Auto-Submitted: auto-replied" --subject "Out of office"
"""

from __future__ import annotations

import argparse
import os
import smtplib
from email import policy
from email.message import Message
from email.utils import formatdate, make_msgid

from chalicelib.channels.email.addresses import parse_mailboxes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.mail", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="sender", required=True)
    parser.add_argument("--to", default=os.environ.get("SUPPORT_ADDRESS", "hey@example.com"))
    parser.add_argument("--subject", default="Question")
    parser.add_argument("--text", default="Hello, I have a question.")
    parser.add_argument("--in-reply-to", default=None)
    parser.add_argument("--header", action="append", default=[], help="'Name: value', repeatable")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SMTP_PORT", "2525")))
    args = parser.parse_args(argv)

    # The headers go out exactly as given (a hostile From included): compat32 keeps them verbatim.
    boxes = parse_mailboxes(args.sender)
    envelope = boxes[0].address if boxes else args.sender
    msg = Message(policy=policy.compat32)
    msg["From"], msg["To"], msg["Subject"] = args.sender, args.to, args.subject
    msg["Message-ID"] = make_msgid(domain=envelope.rpartition("@")[2] or "localhost")
    msg["Date"] = formatdate()
    if args.in_reply_to:
        msg["In-Reply-To"] = args.in_reply_to
        msg["References"] = args.in_reply_to
    for header in args.header:
        name, _, value = header.partition(":")
        msg[name.strip()] = value.strip()
    msg["MIME-Version"] = "1.0"
    msg["Content-Type"] = 'text/plain; charset="utf-8"'
    msg["Content-Transfer-Encoding"] = "8bit"
    msg.set_payload(args.text.encode("utf-8"))
    with smtplib.SMTP("127.0.0.1", args.port, timeout=10) as smtp:
        smtp.sendmail(envelope, [args.to], msg.as_bytes(policy=policy.compat32.clone(linesep="\r\n")))
    print(f"sent {msg['Message-ID']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
