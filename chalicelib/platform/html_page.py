"""The public pages' shell (the contact form, the satisfaction survey): server-rendered, no scripts, a strict
Content-Security-Policy, readable on a phone (stdlib only)."""

from __future__ import annotations

import html
import urllib.parse

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


def page(title: str, body: str) -> str:
    """A whole page: ``title`` is escaped here; ``body`` must be escaped HTML already."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{html.escape(title)}</title><style>{_STYLE}</style></head>
<body><main>
{body}
</main></body></html>"""


class FormTooLarge(ValueError):
    """The form's body is over its limit (HTTP 413)."""


def read_form(raw: bytes | str | None, *, limit: int, max_fields: int) -> dict[str, str]:
    """A url-encoded form's fields, the last value of each: :class:`FormTooLarge` over ``limit`` bytes,
    ``ValueError`` when it is not UTF-8 or has more than ``max_fields`` fields."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else (raw or b"")
    if len(data) > limit:
        raise FormTooLarge(f"the form is larger than {limit} bytes")
    pairs = urllib.parse.parse_qs(data.decode("utf-8"), keep_blank_values=True, max_num_fields=max_fields)
    return {k: v[-1] for k, v in pairs.items()}


__all__ = ["CSP", "HEADERS", "FormTooLarge", "page", "read_form"]
