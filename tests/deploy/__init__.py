"""Deployment: the stack's files, servers and observability, checked for real."""
