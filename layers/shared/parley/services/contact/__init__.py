"""Contacts: people, their per-inbox identities, notes, CSV imports and exports, the widget visitor's session. Uses account."""
