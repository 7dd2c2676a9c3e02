"""Captain, the AI agent: its configuration (assistants, their inbox links, FAQs).

Above every other service package (.importlinter): it reads inboxes, nothing reads it."""
