"""pynamodb models, one module per aggregate. Keys and access patterns: docs/data-model.md."""
