"""What customers talk about: each comment's themes (`lexicon`) and tone (`tone`), offline.

`tagging` applies both to a column of comments at import, once per distinct comment; the tags
are stored on the response, so reports count themes without reading comments again.
"""
