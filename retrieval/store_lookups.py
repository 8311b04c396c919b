"""The store's lookups of a batch: which articles are new, changed, stored already or refused.

Kept apart from :mod:`retrieval.store` (which writes) and :mod:`retrieval.store_reads` (what
the index and the bot read) because deduplication is its own question asked of the store:
by canonical URL or content hash, and again inside the write transaction, where another
writer may have stored the same article meanwhile. Everything here only reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from retrieval.models import Article
from retrieval.store_reads import StoreReads
from retrieval.store_records import Sorted, article_id, dedup_key, same_text

REMOVED_BY_OPERATOR = "it was removed from the store on {} (briefbot remove or /remove)"


def unchanged(key: str, article: Article, stored: tuple[int, str, str, str]) -> bool:
    """Whether ``article`` is the stored version ``(seq, id, title, text)`` under its ``key``.

    Only a URL names an article whatever its text; a content-hash key is the text itself.
    """
    return not key.startswith("url:") or same_text(article.title, article.text, *stored[2:])


class StoreLookups(StoreReads):
    """Dedup lookups over an open store's connection, on top of its reads."""

    def existing_keys(self, keys: Iterable[str]) -> set[str]:
        """Return which of ``keys`` (dedup keys or article ids) are already stored."""
        with self._lock:
            return self._existing_keys(keys)

    def _existing_keys(self, keys: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(keys))
        found: set[str] = set()
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            marks = ",".join("?" * len(part))
            sql = f"SELECT key, id FROM articles WHERE key IN ({marks}) OR id IN ({marks})"
            for key, id_ in self._db.execute(sql, part + part):
                found.update((key, id_))
        return found & set(wanted)

    def _live_by_key(self, keys: Iterable[str]) -> dict[str, tuple[int, str, str, str]]:
        """``key -> (seq, id, title, text)`` of the stored (live) articles with those keys."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, tuple[int, str, str, str]] = {}
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            sql = (
                "SELECT key, seq, id, title, text FROM articles"
                f" WHERE key IN ({','.join('?' * len(part))})"
            )
            for key, seq, id_, title, text in self._db.execute(sql, part):
                found[str(key)] = (int(seq), str(id_), str(title), str(text))
        return found

    def _removed_keys(self, keys: Iterable[str]) -> dict[str, str]:
        """``key -> when`` of ``keys`` an operator removed (a replaced key is not refused)."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, str] = {}
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            sql = (
                "SELECT key, at FROM removed WHERE replaced = 0"
                f" AND key IN ({','.join('?' * len(part))})"
            )
            found.update((str(key), str(at)[:10]) for key, at in self._db.execute(sql, part))
        return found

    def sort(self, articles: Sequence[Article]) -> Sorted:
        """Sort a batch into new or changed articles, ones stored already, and refused ones.

        A stored article with the same canonical URL (dedup key) and a changed title or text is
        an update: it is fresh, and ``add`` replaces the stored version. An article whose key or
        id is stored with the same text, or repeated within ``articles`` after its first copy,
        is stored already. A key an operator removed is refused.
        """
        keyed = [(a, dedup_key(a)) for a in articles]
        keys = [key for _, key in keyed]
        with self._lock:
            live = self._live_by_key(keys)
            known = self._existing_keys(keys + [a.id for a in articles if a.id])
            refusals = self._removed_keys(key for key in keys if key not in live)
        result = Sorted([], [], [])
        seen: set[str] = set()
        for article, key in keyed:
            id_ = article_id(article, key)
            old = live.get(key)
            if key in seen or id_ in seen:
                result.stored.append((article, old[1] if old else id_))
                continue
            seen.update((key, id_))
            if old is not None:
                if unchanged(key, article, old):
                    result.stored.append((article, old[1]))
                else:
                    result.fresh.append((article, key, id_))
            elif id_ in known:
                result.stored.append((article, id_))
            elif key in refusals:
                result.refused.append((article, REMOVED_BY_OPERATOR.format(refusals[key])))
            else:
                result.fresh.append((article, key, id_))
        return result
