"""The executive view: sponsors' accounts, revenue at risk, coverage, champion changes."""
