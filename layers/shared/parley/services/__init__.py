"""Domain operations. Handlers call one of these; they raise parley.errors exceptions."""
