"""`python -m bot.cli` is `voc`."""

from bot.cli import main

raise SystemExit(main())
