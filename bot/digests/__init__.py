"""The pre-meeting digest: what the account team needs to walk into a customer review.

- `model`: the digest as plain data (what `bot.views.digest` renders);
- `queries`: the room's SQL (due meetings, marking a digest posted);
- `build`: reading it from the database, and which meetings' digests are due;
- `service`: delivering it exactly once through `bot.delivery.post_once`, scheduled or asked for
  with `/voc digest`, and the scheduler's digest job.
"""
