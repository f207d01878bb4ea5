"""The usage table: one ledger item per user holding the counters of the current periods.

Counters live in attributes named after their period (``h_2026112814`` messages in that hour,
``dt_20261128`` tokens that day, ``mc_202611`` nanodollars that month), so one conditional UpdateItem
both admits a send against every limit and returns what the headers report, and a new period needs
no reset: its attribute simply does not exist yet. Attributes of past periods are removed by the
next ledger update.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from parley.storage.models import model_meta

LEDGER_SK = "LEDGER"


@dataclass(frozen=True)
class UsageTable:
    ledger: type[Model]


def build_usage_table(table_name: str, region: str, host: str | None) -> UsageTable:
    class LedgerModel(Model):
        Meta = model_meta(table_name, region, host)

        pk = UnicodeAttribute(hash_key=True)  # the user id
        sk = UnicodeAttribute(range_key=True)  # "LEDGER"
        #: Optional monthly spending cap set by the user, in integer nanodollars.
        cap_nusd = NumberAttribute(null=True)

    return UsageTable(ledger=LedgerModel)
