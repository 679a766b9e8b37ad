"""Bringing feedback in: the accounts roster and survey/interview responses, from file to tables.

The contract is `docs/data-formats.md`. One module per step, in the order a file meets them:

- `problems`: `ImportRejected` and the `ProblemLog` every step reports into;
- `reading`: CSV/XLSX/DataFrame → chunks of text cells with their row numbers;
- `headers`: which header cell is which known column;
- `cells`: vectorised parsing of scores, dates, money, people and channel references;
- `roster`, `responses`: validation of each file kind (nothing touches a database);
- `writing`, `people`: validated frames → table rows (through `storage.bulk`);
- `queries`: the other statements an import runs (read-backs, benchmark rows);
- `service`: the use cases (`import_accounts`, `import_responses`, `recompute_benchmarks`), each
  running these steps in the caller's one transaction.
"""
