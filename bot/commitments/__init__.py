"""Commitments: what the team promised a customer, followed from the review meeting to done.

A promise made in a meeting is easy to forget; one written down with an owner, a due date and
the function that must act is not. The room, from the inside out:

- `values` — the records passed around (drafts, announcements, open items, outcomes); views
  import these, never the services;
- `rules` — pure decisions: what makes a draft acceptable, the default due date, what the modal
  offers as "answers", who may change a commitment, which reaction means done;
- `queries` — every read and write of commitments, including the conditional transitions;
- `announce` — what the bot says in Slack about a commitment, each message at most once;
- `reactions` — the done reaction reconciled with what the message shows;
- `service` — one function per thing a person does, called alike by Slack and the terminal;
- `workspace` — `SlackWorkspace`, what Slack access needs for one workspace.
"""
