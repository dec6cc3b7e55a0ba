"""Liveness and readiness probes for process managers and load balancers (Q170)."""
