"""A browser's side of the UI sign-in, over plain HTTP: the cookies it keeps, the form it posts.

:func:`sign_in` does what a browser does on the sign-in page (GET it, keep the
``hokusai_csrf`` cookie, post the form with the page's token from the page's origin)
and returns the answer and the ``hokusai_session`` cookie it set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from tests.support.client import Answer, request

FORM = "application/x-www-form-urlencoded"
_CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass(frozen=True)
class SetCookie:
    """One ``Set-Cookie`` header: the value and the attributes (lower-case names)."""

    name: str
    value: str
    attributes: dict[str, str]


def set_cookies(answer: Answer) -> dict[str, SetCookie]:
    """The answer's ``Set-Cookie`` headers by cookie name (the last wins, with a value)."""
    found: dict[str, SetCookie] = {}
    for header in answer.header("set-cookie"):
        first, *rest = [part.strip() for part in header.split(";")]
        name, _, value = first.partition("=")
        attributes = {}
        for part in rest:
            key, _, val = part.partition("=")
            attributes[key.lower()] = val
        if name not in found or value:
            found[name] = SetCookie(name, value, attributes)
    return found


@dataclass
class Browser:
    """The cookies a browser keeps for one gateway (path scoping left out: one mount)."""

    base_url: str
    cookies: dict[str, str]

    def cookie_header(self) -> dict[str, str]:
        if not self.cookies:
            return {}
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def get(self, target: str, headers: dict[str, str] | None = None) -> Answer:
        return self._keep(
            request(self.base_url, "GET", target, {**self.cookie_header(), **(headers or {})})
        )

    def post(
        self,
        target: str,
        body: bytes,
        headers: dict[str, str] | None = None,
        same_origin: bool = True,
    ) -> Answer:
        sent = {**self.cookie_header(), **(headers or {})}
        if same_origin:
            sent.setdefault("Origin", self.base_url)
        return self._keep(request(self.base_url, "POST", target, sent, body))

    def _keep(self, answer: Answer) -> Answer:
        for name, cookie in set_cookies(answer).items():
            if cookie.attributes.get("max-age") == "0":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = cookie.value
        return answer

    def form_token(self, page: Answer) -> str:
        match = _CSRF_FIELD.search(page.body.decode())
        assert match, page.body[:500]
        return match.group(1)

    def sign_in(
        self, secret: str, mount: str = "/api/mlflow", next_url: str | None = None
    ) -> Answer:
        """GET the sign-in page, POST the key with the page's token; the answer to the POST."""
        page = self.get(f"{mount}/signin")
        assert page.status == 200, (page.status, page.body[:300])
        form = {"api_key": secret, "csrf": self.form_token(page), "next": next_url or f"{mount}/"}
        return self.post(f"{mount}/signin", urlencode(form).encode(), {"Content-Type": FORM})

    def sign_out(self, mount: str = "/api/mlflow") -> Answer:
        page = self.get(f"{mount}/signout")
        form = urlencode({"csrf": self.form_token(page)}).encode()
        return self.post(f"{mount}/signout", form, {"Content-Type": FORM})


def browser(base_url: str) -> Browser:
    """A browser with no cookies yet."""
    return Browser(base_url, {})
