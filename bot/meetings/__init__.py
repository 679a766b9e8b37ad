"""Customer review meetings: `rules` reads what people type and when a digest is due, `queries`
says which meeting is next or was last, `service` schedules, moves, cancels and lists."""
