"""Accounts: finding the one a person named, who may see it, and which are a person's own.

`queries` reads and writes accounts, `rules` holds the pure decisions (who is on a team, how a
miss is explained), `access` applies the team rule with Slack's help, and `service` holds the
use cases Slack listeners and the terminal call alike.
"""
