"""Sample services to run inferload against (loopback only)."""
