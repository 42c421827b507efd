"""The seeded sample organization behind `postlaunch sample` and `postlaunch demo`.

It writes files only (registry and data files); it never opens the database. Four deployments
(`org.py`) each tell one story over the last weeks; same arguments give byte-identical files.

Messy rows, injected deterministically and in the same numbers whatever --weeks/--seed/--scale
(`messy.MESSY_ROWS`); none belongs to support-triage and none replaces a clean row:

- usage (`usage.csv`), 71 rows:
  - 24 rows naming the unknown deployment `legacy-bot` (event_ids `u-legacy-bot-000001`...);
  - 6 rows with an unparseable timestamp (`not recorded`, `2026-02-30T10:00:00Z`, `31/13/2026 09:15`,
    `yesterday 14:00`, `TBD`, `2026-13-01T08:00:00Z`), event_ids `u-<deployment>-x0001`...`x0006`;
  - 1 row with `input_tokens` = -120 (event_id `u-<deployment>-x0101`);
  - 40 exact duplicate lines (same event_id, same content), each right after its original.
- feedback (`feedback.jsonl`), 17 rows:
  - 3 rows with a rating outside 1-5 (0, 6 and 7; feedback_ids `f-<deployment>-x001`...`x003`);
  - 4 rows naming `legacy-bot`;
  - 2 rows with an unparseable timestamp (`last Tuesday`, `2026-11-31T09:00:00Z`; ids `...-x011`, `...-x012`);
  - 8 exact duplicate lines.
- cost (`cost.csv`): 2 rows naming `legacy-bot`.
- training (`training.csv`): 2 rows naming `legacy-bot`, 1 whose `expires_at` precedes `completed_at`.
- incidents and changes: none. (incidents.csv holds two update rows: INC-0412 and INC-0419 appear
  first open or investigating, then resolved; a newer row for an incident_id updates it.)

So a correct ingest loads rows - duplicates - quarantined, with duplicates = 40 (usage) and 8
(feedback) and quarantined = 31 (usage), 9 (feedback), 2 (cost), 3 (training), 0 (incidents, changes, readiness).
"""

from samplegen.messy import MESSY_ROWS
from samplegen.writer import write_sample

__all__ = ["MESSY_ROWS", "write_sample"]
