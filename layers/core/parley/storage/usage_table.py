"""The usage table: one ledger item per user holding the counters of the current periods.

Counters live in attributes named after their period (``h_2026112814`` messages in that hour,
``dt_20261128`` tokens that day, ``mc_202611`` nanodollars that month), so one conditional UpdateItem
both admits a send against every limit and returns what the headers report, and a new period needs
no reset: its attribute simply does not exist yet. Attributes of past periods are removed by the
next ledger update. The period attributes are no model fields: the ledger reads and writes them raw
(:func:`parley.storage.dynamo.update_raw`).
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from parley.storage.dynamo import Endpoint, bind, nullable

LEDGER_SK = "LEDGER"


class LedgerModel(Model):
    pk = UnicodeAttribute(hash_key=True)  # the user id
    sk = UnicodeAttribute(range_key=True)  # "LEDGER"
    #: Optional monthly spending cap set by the user, in integer nanodollars.
    cap_nusd = nullable(NumberAttribute())


@dataclass(frozen=True)
class UsageTable:
    ledger: type[LedgerModel]


def build_usage_table(table_name: str, region: str, host: str | None) -> UsageTable:
    return UsageTable(ledger=bind(LedgerModel, table_name, Endpoint(region, host)))
