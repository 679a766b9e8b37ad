"""The one way the bot sends something people notice, exactly once.

Every message that must arrive once — a digest, a reminder DM, an escalation, a commitment's
channel message, its owner's DM — has a ledger key and goes through the same steps:

1. **claim** the key in the database (`ledger.claim`): two ticks, two workers or two hosts
   cannot both win;
2. **re-check** that the message is still owed and **render** it from the database as it is now;
3. when an earlier attempt may have reached Slack (its process died, or Slack answered 500 after
   storing the message), **look** for a message tagged with the key before posting (`tagged`);
4. **post** tagged with the key in the message metadata;
5. **mark** the key sent, or failed so a later tick claims it again.

`post_once` runs those steps for a single message, `post_now` for someone waiting on it
(Slack's passing trouble retried at once, looking first); reminder bundles, which claim several
occurrence rows with their DM, use the ledger and `tagged` pieces directly.

What is promised after an ack is written as owed in the transaction that promises it
(`ledger.owe_in` for a message, `replies.owe_reply` for a command's answer): a process that dies
afterwards leaves it for the scheduler, which delivers it by the same steps.
"""
