"""Page URL patterns of campaigns: globs with `*` (any run of characters, `/` included)
and `?` (one character), nothing else special. Matching is a linear-time two-pointer walk
with one backtrack point (the last `*`), so no pattern and URL can make it run away, as a
regular expression translation (fnmatch) can: O(len(pattern) * len(url)) at worst."""
from __future__ import annotations

from urllib.parse import urlsplit

MAX_LENGTH = 2048
MAX_STARS = 10
# Regular-expression syntax that someone may expect to work: refused, not silently taken literally.
REGEX_SYNTAX = frozenset("[]()|\\^${}+")


def problem(pattern) -> str | None:
    """Why `pattern` is not a valid URL glob, or None when it is."""
    if not isinstance(pattern, str) or not pattern.strip():
        return "must be a URL pattern"
    if len(pattern) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    if any(c.isspace() or ord(c) < 32 for c in pattern):
        return "must not contain spaces or control characters"
    bad = sorted(set(pattern) & REGEX_SYNTAX)
    if bad:
        return f"is a glob (* and ? only), not a regular expression: {' '.join(bad)} not allowed"
    if pattern.count("*") > MAX_STARS:
        return f"may hold at most {MAX_STARS} '*'"
    scheme, _, rest = pattern.partition("://")
    if scheme.lower() not in ("http", "https") or not rest:
        return "must start with http:// or https://"
    host = urlsplit(pattern.replace("*", "x").replace("?", "x")).hostname
    if not host:
        return "must name a host"
    return None


def matches(pattern: str, url: str) -> bool:
    """Whether `url` matches `pattern` as a whole (case-sensitive, as URL paths are)."""
    p = u = 0
    star = -1  # the pattern index just after the last `*` seen
    mark = 0   # where in the url that `*` began to match
    while u < len(url):
        if p < len(pattern) and (pattern[p] == "?" or (pattern[p] != "*" and pattern[p] == url[u])):
            p += 1
            u += 1
        elif p < len(pattern) and pattern[p] == "*":
            while p < len(pattern) and pattern[p] == "*":
                p += 1
            star, mark = p, u
        elif star >= 0:
            mark += 1  # let the last `*` swallow one more character, and retry from there
            p, u = star, mark
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)
