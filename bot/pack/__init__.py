"""The review pack for a customer (`voc pack`, `/voc pack`) and the update to every customer
(`voc update`): what the programme shows the people who answered."""
