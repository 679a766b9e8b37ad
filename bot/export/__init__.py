"""Everything stored about the accounts, as CSV files a spreadsheet opens (`voc export`).

`rules` holds how a value becomes a cell (timestamps in UTC, the spreadsheet-safety rule),
`queries` the rows of each file, `service` the files and their columns.
"""
