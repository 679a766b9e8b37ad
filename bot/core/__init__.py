"""The bot's vocabulary: pure functions and constants every room shares, with no I/O.

Each concept the bot speaks about in more than one place is defined here once — time and
working days (`clock`), Slack references, mentions and escaping (`slack`), who a person is
(`identity`), how account names compare (`names`) and what a cycle label means (`cycles`).
Nothing here imports SQLAlchemy, Slack clients or any other module of the bot, so anything may
import it, `storage/` included, without creating a cycle.
"""
