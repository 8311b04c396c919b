"""When segments merge: the newest ones join while the next older is not much larger.

Kept apart from :mod:`retrieval.bm25` because it is a policy on segment sizes alone, tuned
by measuring builds (``bench.search --stream``), not by anything about scoring.
"""

from __future__ import annotations

# Merge the newest two segments while the older is less than this many times larger:
# sizes then at least double towards the oldest, so a snapshot has about log2(N) segments
# and each document is rewritten about log2(N) times over the index's life.
MERGE_RATIO = 2
# ...but never into a segment of more passages than this: a merge holds its inputs and its
# output at once, so merging two 4M-passage segments into 8M held about 4 GB and made most
# of the build's 4.9 GB peak at 10M passages. Past it, segments stay about this size (five
# at 10M passages): a query sweeps the same postings, split over a few more segments.
# A 1M cap (ten segments at 10M) lowered that build's peak from 1.87 to 1.35 GB but cost
# about a seventh more CPU per query (p50 11.8 against 10.4 ms), so it stays at 2M.
MAX_MERGE_DOCS = 1 << 21


def merge_tail(sizes: list[int]) -> int:
    """How many newest segments to merge: while the one before them is less than
    ``MERGE_RATIO`` times their total, and the merge stays within ``MAX_MERGE_DOCS``
    passages, it joins them.

    The same segments as merging the newest two again and again, but in one pass: the
    pairwise cascade wrote every intermediate segment out in full (at 10M passages a 4M
    one on the way to 8M) while the old snapshot still held its inputs.
    """
    tail, total = 1, sizes[-1] if sizes else 0
    while (
        tail < len(sizes)
        and sizes[-tail - 1] < MERGE_RATIO * total
        and total + sizes[-tail - 1] <= MAX_MERGE_DOCS
    ):
        total += sizes[-tail - 1]
        tail += 1
    return tail
