"""The account report: `model` (its shape), `queries` (what it reads), `rules` (cycle choice,
flags), `assemble` (building it) and `service` (the use cases Slack and the terminal call)."""
