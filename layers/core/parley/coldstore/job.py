"""One run of the cold-storage job: find idle conversations and half-done moves, and handle them.

Selection is a Scan of the conversations table filtered to conversation items that are idle and
hot, or carry a ``cold_state`` (a move or restore in progress, or crashed). Pages are bounded per
run and the position is kept in S3 (``<prefix>scan-cursor.json``), so a table larger than one
run's budget is covered over several runs without starting again from the top. The cost is a read
of every item of the table per full pass (messages included, as a Scan is billed on what it reads
before filtering), where a sparse index of hot conversations by ``updated_at`` would read only
the candidates.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from parley.coldstore import stub
from parley.coldstore.archiver import ARCHIVED, Archiver
from parley.coldstore.codec import RawItem
from parley.coldstore.context import ColdContext
from parley.coldstore.rawtable import Expr, key_of
from parley.observability import logger

ERROR = "error"
_PROJECTION = (
    "pk", "sk", "user_id", "updated_at", stub.COLD, stub.COLD_KEY, stub.STATE, stub.TOKEN, stub.STATE_AT,
)


@dataclass
class RunReport:
    pages: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    #: True when the scan reached the end of the table (the next run starts from the top).
    complete: bool = False

    @property
    def archived(self) -> int:
        return self.outcomes[ARCHIVED]

    def as_dict(self) -> dict[str, Any]:
        return {"pages": self.pages, "complete": self.complete, "outcomes": dict(self.outcomes)}


class Sweep:
    def __init__(self, ctx: ColdContext, archiver: Archiver, restore: Callable[[str, str], None]) -> None:
        self._c = ctx
        self._archiver = archiver
        self._restore = restore

    @property
    def cursor_key(self) -> str:
        # Archives live two levels down (<prefix><user>/<id>.json.gz): this name cannot collide.
        return f"{self._c.config.prefix}scan-cursor.json"

    def run(self, *, now: int, max_conversations: int, max_seconds: float | None) -> RunReport:
        report = RunReport()
        started = time.monotonic()
        start = self._load_cursor()
        cutoff = now - self._c.config.idle_ms
        handled = 0
        while True:
            page_start = start
            ex = Expr()
            items, last = self._c.table.scan_page(
                ex,
                filter=(
                    f"{ex.n('sk')} = {ex.v({'S': stub.SK})} AND (("
                    f"{ex.n('updated_at')} < {ex.v({'N': str(cutoff)})} AND attribute_not_exists({ex.n(stub.COLD)}) "
                    # A temporary chat is not archived: its TTL deletes it.
                    f"AND attribute_not_exists({ex.n('temporary')}) "
                    f"AND attribute_not_exists({ex.n(stub.STATE)})) OR attribute_exists({ex.n(stub.STATE)}))"
                ),
                projection=_PROJECTION,
                limit=self._c.config.scan_page_size,
                start=start,
            )
            report.pages += 1
            for item in items:
                out_of_time = max_seconds is not None and time.monotonic() - started > max_seconds
                if handled >= max_conversations or out_of_time:
                    # Resume at this page next time: what was done here is filtered out then.
                    self._save_cursor(page_start)
                    return report
                outcome = self._handle(item, now)
                report.outcomes[outcome] += 1
                handled += 1
            if last is None:
                self._save_cursor(None)
                report.complete = True
                return report
            start = last
            self._save_cursor(start)

    def _handle(self, item: RawItem, now: int) -> str:
        conversation_id = key_of(item)[0]
        try:
            if stub.STATE in item:
                return self._archiver.recover(item, now, self._restore)
            return self._archiver.archive(
                conversation_id, stub.s(item, "user_id") or "", stub.n(item, "updated_at") or 0, now
            )
        except Exception as exc:
            # One conversation's failure must not stop the others; its state is recovered later.
            logger.exception("coldstore: conversation failed",
                             extra={"conversation_id": conversation_id, "error_type": type(exc).__name__})
            return ERROR

    def _load_cursor(self) -> dict[str, Any] | None:
        text = self._c.objects.get_text(self.cursor_key)
        return json.loads(text).get("start") if text else None

    def _save_cursor(self, start: dict[str, Any] | None) -> None:
        if start is None:
            self._c.objects.delete(self.cursor_key)
        else:
            self._c.objects.put_text(self.cursor_key, json.dumps({"start": start}))
