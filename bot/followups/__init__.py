"""Follow-ups on individual customers: nobody who told us something is wrong goes unanswered."""
