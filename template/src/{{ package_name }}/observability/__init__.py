"""Logging and monitoring: request ids, access records, security events and metrics."""
