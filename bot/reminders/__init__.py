"""Reminders: one direct message per owner per working day, bundling what needs them.

People ignore bots that nag, so a reminder is owed only at a few moments in a commitment's life,
and each moment is delivered once:

- **due soon**: from `due_soon_days` working days before the due date until the due date;
- **overdue**: from the first working day after the due date for a week, then again each week;
- **before the next cycle**: once, in the `cycle_window_days` before the workspace's next feedback
  cycle starts (the customer will be asked again and will remember what was promised);
- **snoozed**: when a snooze ends, the item comes back once with whatever of the above applies.

Each such moment is an *occurrence* with a stable ledger key,
`reminder_item:<commitment>:<kind>:<occurrence>` (the due date, the overdue week's first day, the
cycle start, or the snooze's end). An occurrence not yet delivered stays owed until its window
closes, so a commitment created inside a window, a day the bot was down, or an owner who was
snoozing still gets told. Working days are Monday to Friday in the owner's own timezone; public
holidays are out of scope.

**Timing.** The owner's timezone comes from `users.info` (owners written as emails are found with
`users.lookupByEmail`, which returns the same user object), cached per process, falling back to
`VOC_TIMEZONE`. A tick on a working day at or after `workday_start_hour` local time sends that
day's DM; a tick at a weekend sends nothing. The DM's ledger key is `reminder:<user>:<local date>`.

**The ledger.** The DM row and one Delivery row per bundled occurrence are written in the same
transaction, after re-checking that each commitment is still open, unsnoozed and the owner's:

- the DM row's unique key makes a second DM for the same owner and day impossible, whichever
  process or tick tries it; item rows are `claimed_by` the DM key while it is in flight;
- an occurrence row already `sent` (in an earlier DM, or another owner's after a reassignment) or
  claimed by another DM still in flight is left out, so the same reminder never reaches two DMs;
- sent: the DM row and its item rows become `sent` in one transaction; failed: both become
  `failed` and the next tick claims them again, looking first in the DM's history for a message
  tagged with the key (metadata `voc_reminder`, with the commitment ids it carried), because a 500
  or a timeout can come after Slack stored the message;
- a claim with nothing left to say (everything done or delivered since planning) is rolled back
  whole, so it blocks nothing later that day.

Item rows per occurrence rather than an item list on the DM row: the "already told" question is
then a unique-key lookup, which is what keeps planning set-based (no query per item) and lets a
reminder that did not fit in today's DM (at most `MAX_ITEMS_PER_DM`) come tomorrow.

**The DM's buttons** (`handlers/reminders.py`, use cases in `snooze`): Done is
`commitments.complete_from_button`, the path the reaction's rules live on (permission,
conditional update, audit, thread reply, channel message updated); Snooze sets `snoozed_until` to
the start of the presser's working day one working day or one week later (a conditional UPDATE,
audited as `commitment.snoozed`). Both then re-render the DM's items from the database
(`refreshed_reminder`).

**Planning** (`planning.plan_reminders`) reads every open commitment in one query and decides
who gets what with numpy/pandas; Slack is asked once per owner (cached), the ledger with a few
`IN` queries. `find_due` never writes, so `voc tick --dry-run` lists who would get what.

The package, one module per seam:

- `rules`: pure decisions — the owner's reminder day, a snooze's end, the ledger keys;
- `people`: owners (Slack IDs or emails) to Slack users and timezones, cached;
- `queries`: the rooms' reads of commitments and of what the ledger shows as sent;
- `planning`: set-based planning with numpy/pandas, what is owed to whom, and the job's
  read-only half;
- `bundle`: claiming and delivering one owner's DM (`bot.delivery.ledger` and `.tagged`);
- `snooze`: the DM's buttons' use cases;
- `escalations`: the weekly escalation to account managers and sponsors (planned there,
  delivered by `bundle` as or in the person's one DM of the day), and the account channel's
  open-promises summary (`bot.delivery.post_once`);
- `followups`: the follow-ups in the day's DM (the owner's due today or overdue; past the
  first-contact target, the account manager's and the strategic sponsor's), their due time
  re-counted in the owner's timezone, and the account channel's flag at twice the target.
"""
