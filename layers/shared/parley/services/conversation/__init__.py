"""Conversations and the writes of their messages and changes, their lists, filters, participants, search and notifications. Uses inbox and below."""
