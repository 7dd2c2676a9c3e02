"""Model -> Chatwoot JSON, one function per shape (Chatwoot's jbuilder views)."""
