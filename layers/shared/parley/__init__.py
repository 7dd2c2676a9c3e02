"""Parley's domain package: shared by every function through the Lambda layer."""

# Parley's own release (the super-admin console's instance status shows it). Kept equal to
# frontend/package.json's "version".
VERSION = "0.1.0"
