"""Parley's domain package: shared by every function through the Lambda layer."""
