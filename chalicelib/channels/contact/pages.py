"""The contact form's pages: server-rendered, no scripts, a strict CSP (stdlib only).

Every value that came from outside is escaped with :func:`html.escape`; nothing from the request is
ever put in a response header. The form posts to the page's own URL (no ``action``), so it works under
an API Gateway stage prefix too.
"""

from __future__ import annotations

import html

from chalicelib.channels.contact.form import MAX_EMAIL, MAX_MESSAGE, MAX_NAME

CSP = ("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

_STYLE = """
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1b1b1b;background:#fff}
main{max-width:40rem;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:1.6rem;line-height:1.25;margin:0 0 .75rem}
p{margin:0 0 1rem;overflow-wrap:anywhere}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
.hint{font-weight:400;color:#4a4a4a;font-size:.9rem}
input,textarea{display:block;width:100%;font:inherit;color:#1b1b1b;background:#fff;padding:.6rem .7rem;
  border:2px solid #6b6b6b;border-radius:6px}
textarea{min-height:10rem;resize:vertical}
button{margin-top:1.25rem;font:inherit;font-weight:600;color:#fff;background:#0b57d0;border:2px solid #0b57d0;
  border-radius:6px;padding:.6rem 1.4rem;cursor:pointer}
button:hover{background:#0842a0}
a{color:#0b57d0}
:focus-visible{outline:3px solid #b35900;outline-offset:2px}
input:focus,textarea:focus{border-color:#0b57d0}
.error{border:2px solid #a4262c;background:#fdecea;color:#6e1a1e;border-radius:6px;padding:.75rem 1rem;margin:0 0 1rem}
.receipt{border:2px solid #1e6b34;background:#eaf6ec;color:#143d22;border-radius:6px;padding:.75rem 1rem}
.number{font-size:1.4rem;font-weight:700}
.hp{position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden}
"""


def _page(title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{html.escape(title)}</title><style>{_STYLE}</style></head>
<body><main>
{body}
</main></body></html>"""


def form_page(submission_id: str, values: dict[str, str] | None = None, error: str | None = None) -> str:
    """The form; after a mistake, with what they typed and what to fix (``role="alert"``)."""
    v = {k: html.escape(s) for k, s in (values or {}).items()}
    alert = f'<p class="error" role="alert" id="problem">{html.escape(error)}</p>' if error else ""
    described = ' aria-describedby="problem"' if error else ""
    return _page("Contact support", f"""<h1>Contact support</h1>
<p>Write to the team here if Slack or email does not suit you. We answer by email, at the address you give.
Nothing is sent to that address until a person on the team answers.</p>
{alert}
<form method="post"{described}>
<input type="hidden" name="submission" value="{html.escape(submission_id)}">
<label for="name">Your name</label>
<input id="name" name="name" type="text" autocomplete="name" required maxlength="{MAX_NAME}"
 value="{v.get('name', '')}">
<label for="email">Your email address <span class="hint">(our answer goes here)</span></label>
<input id="email" name="email" type="email" autocomplete="email" inputmode="email" required
 maxlength="{MAX_EMAIL}" value="{v.get('email', '')}">
<label for="message">Your message <span class="hint">(up to {MAX_MESSAGE:,} characters)</span></label>
<textarea id="message" name="message" required maxlength="{MAX_MESSAGE}" rows="8">{v.get('message', '')}</textarea>
<div class="hp"><label for="website">Leave this empty</label>
<input id="website" name="website" type="text" autocomplete="off" tabindex="-1" value=""></div>
<button type="submit">Send message</button>
</form>""")


def thanks_page(number: int | None, email: str) -> str:
    """The receipt: the ticket number, and where the answer will come."""
    ticket = (f'<p class="number">Your request is ticket #{int(number)}.</p>' if number is not None
              else "<p class=\"number\">Your request has been received.</p>")
    return _page("Message sent", f"""<h1>Thank you: your message reached the team</h1>
<div class="receipt" role="status">{ticket}
<p>We will answer by email to <strong>{html.escape(email)}</strong>. Replies to our email join the same ticket.</p>
</div>
<p>Keep this page or the ticket number: it is your receipt. We send no confirmation email.</p>
<p><a href="">Send another message</a></p>""")


def notice_page(title: str, message: str, support_address: str | None = None) -> str:
    """A page that says what went wrong and what to do (no form: 413, 415, 429, 503)."""
    mail = (f'<p>You can also email us at <a href="mailto:{html.escape(support_address)}">'
            f"{html.escape(support_address)}</a>.</p>" if support_address else "")
    return _page(title, f"""<h1>{html.escape(title)}</h1>
<p class="error" role="alert">{html.escape(message)}</p>
{mail}
<p><a href="">Back to the contact form</a></p>""")
