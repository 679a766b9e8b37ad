"""Each account's figures per cycle, computed when its responses arrive: `compute` (the rows,
from responses, with `bot.insights`), `queries` (reading and replacing them), `service` (keeping
them current in the intake's transaction)."""
