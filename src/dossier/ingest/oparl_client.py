"""A polite, resilient client for OParl servers: timeouts, retries with backoff, a cap on requests.

A server that is busy (429, 5xx) or drops the connection is asked again after a
wait that doubles each time (or what its ``Retry-After`` says, within bounds);
one that refuses (4xx) or answers with something that is not an OParl object is
named in one clear :class:`~dossier.errors.SourceError`. At most ``parallel``
requests are under way at once, whatever the number of threads asking.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from .. import __version__
from ..errors import SourceError

#: Statuses that say "not now": asked again after a wait.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class ClientSettings:
    """How the client treats a server: seconds per request, tries, the first wait, requests at once."""

    timeout: float = 60.0
    retries: int = 5
    backoff: float = 1.0
    max_wait: float = 60.0
    parallel: int = 4

    def wait(self, attempt: int, retry_after: str | None) -> float:
        """Seconds before try ``attempt + 1``: the server's ``Retry-After`` if it gives seconds."""
        if retry_after:
            try:
                return min(max(float(retry_after), 0.0), self.max_wait)
            except ValueError:
                pass
        return min(self.backoff * 2**attempt, self.max_wait)


def check_url(url: str) -> str:
    """``url`` if it is an http(s) address; raise SourceError otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SourceError(f"{url!r} is not an http(s) address: give the OParl System or Body URL")
    return url


class OParlClient:
    """GET OParl objects and list pages; thread-safe, at most ``settings.parallel`` at once."""

    def __init__(self, settings: ClientSettings | None = None) -> None:
        self.settings = settings or ClientSettings()
        self.requests = 0
        self.retried = 0
        self.content_language: str | None = None
        #: The server's clock (its ``Date`` header) at its latest answer: what ``modified_since`` compares with.
        self.server_time: dt.datetime | None = None
        self._slots = threading.Semaphore(self.settings.parallel)
        self._count = threading.Lock()
        self._http = httpx.Client(
            timeout=httpx.Timeout(self.settings.timeout),
            follow_redirects=True,
            headers={"User-Agent": f"dossier/{__version__} (OParl import)", "Accept": "application/json"},
            limits=httpx.Limits(max_connections=self.settings.parallel),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OParlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, url: str, params: dict[str, str] | None = None) -> dict:
        """The JSON object at ``url``; raise SourceError naming the URL when there is none."""
        check_url(url)
        problem, retry_after = "", None
        for attempt in range(self.settings.retries + 1):
            if attempt:
                with self._count:
                    self.retried += 1
                time.sleep(self.settings.wait(attempt - 1, retry_after))
            retry_after = None
            try:
                with self._slots:
                    with self._count:
                        self.requests += 1
                    response = self._http.get(url, params=params)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                raise SourceError(f"{url}: {exc}") from None
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                continue
            if response.status_code in RETRY_STATUSES:
                problem = f"HTTP {response.status_code} {response.reason_phrase}"
                retry_after = response.headers.get("Retry-After")
                continue
            return self._object(url, response)
        raise SourceError(
            f"{url}: no answer after {self.settings.retries + 1} tries (last: {problem}); "
            "try again later, or with more --retries"
        )

    def _object(self, url: str, response: httpx.Response) -> dict:
        if response.status_code >= 400:
            raise SourceError(
                f"{url}: the server refused (HTTP {response.status_code} {response.reason_phrase})"
            )
        kind = response.headers.get("Content-Type", "").split(";")[0].strip() or "no content type"
        try:
            found = response.json()
        except ValueError:
            raise SourceError(
                f"{url}: the answer is not OParl (not JSON but {kind}); give the OParl System "
                "or Body URL"
            ) from None
        if not isinstance(found, dict):
            raise SourceError(f"{url}: the answer is not OParl (JSON, but not an object)")
        with contextlib.suppress(KeyError, TypeError, ValueError, IndexError):
            self.server_time = email.utils.parsedate_to_datetime(response.headers["Date"])
        if language := response.headers.get("Content-Language"):
            self.content_language = language.split(",")[0].strip()
        return found

    def pages(self, url: str, params: dict[str, str] | None = None) -> Iterator[tuple[list, dict]]:
        """Each page of the list at ``url`` (its objects and ``pagination``), following ``links.next``."""
        seen: set[str] = set()
        next_url: str | None = url
        while next_url:
            if next_url in seen:
                raise SourceError(f"{next_url}: the list's pages lead back to this page (links.next)")
            seen.add(next_url)
            page = self.get(next_url, params)
            data = page.get("data")
            if not isinstance(data, list):
                raise SourceError(f"{next_url}: the answer is not an OParl list (no 'data' array)")
            pagination = page.get("pagination") if isinstance(page.get("pagination"), dict) else {}
            yield data, pagination
            links = page.get("links") if isinstance(page.get("links"), dict) else {}
            following = links.get("next")
            next_url = following if isinstance(following, str) and following else None
            params = None  # the server keeps the filters in links.next
