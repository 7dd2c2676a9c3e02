"""Inboxes, their members, auto-assignment and the widget page. Uses access and below."""
