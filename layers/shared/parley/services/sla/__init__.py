"""SLA policies: thresholds for first response, next response and resolution, applied to
conversations and watched by one EventBridge Scheduler schedule per applied SLA (docs/sla.md)."""
