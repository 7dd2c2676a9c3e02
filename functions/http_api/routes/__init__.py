"""One Powertools Router per resource, mirroring Chatwoot's URL tree."""
