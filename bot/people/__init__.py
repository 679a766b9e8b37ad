"""The workspace's people as `users.list` listed them, kept in the database with when.

`listing.listed_people` is what the scheduler's directory starts from; `queries` holds the
statements on `slack_people`.

A tick plans reminders for every owner in their own timezone. Asking `users.info` once per
owner is 5,000 calls for 5,000 owners, minutes at Slack's per-method rate limits, and again
after every restart; `users.list` pages a thousand people a call. The list is kept in the
database (`slack_people`) so every process and every instance shares it, and taken again from
Slack when it is older than `REFRESH_AGE` (people move, and timezones with them).

What is not trusted falls back to the one-by-one lookups of `bot.directory`: someone missing
from the list (they joined since), a list older than `REFRESH_AGE`, or a list Slack could not
give now (a failed page leaves the stored list as it was; no partial list is ever stored).

The refresh age runs on the wall clock, not a tick's `now`: it is about how old Slack's answer
is, and a replayed tick (`voc tick --now …`) must not make a day-old list look fresh.
"""
