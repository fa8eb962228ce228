"""PostgreSQL as Django has it, with a health check that costs no round trip (`base.py`)."""
