"""CSAT surveys (docs/csat.md): sending one when a conversation is resolved (surveys.py),
rating it and reading the responses (responses.py)."""
