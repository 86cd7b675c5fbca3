"""The contact form's pages: server-rendered, no scripts, a strict CSP (stdlib only).

Every value that came from outside is escaped with :func:`html.escape`; nothing from the request is
ever put in a response header. The form posts to the page's own URL (no ``action``), so it works under
an API Gateway stage prefix too.
"""

from __future__ import annotations

import html

from chalicelib.channels.contact.form import MAX_EMAIL, MAX_MESSAGE, MAX_NAME
from chalicelib.platform.html_page import page

# The page shell (CSP, headers, style) is shared with the other public pages (the survey).
_page = page


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
