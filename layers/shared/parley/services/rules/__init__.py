"""What runs by itself on events: automation rules and their actions, macros, webhooks. Uses messaging and below."""
