"""Block Kit payloads, built by small pure functions so tests can validate every one."""
