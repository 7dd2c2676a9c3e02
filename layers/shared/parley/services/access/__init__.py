"""Who may sign in and what their sockets may see: users, account members, password links, platform apps, WebSocket connections. Uses account and contact."""
