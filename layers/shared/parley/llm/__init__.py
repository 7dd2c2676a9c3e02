"""Language-model providers for Captain: one small port (port.py) and its implementations.
An adapter: it knows no service, view or event (.importlinter)."""
