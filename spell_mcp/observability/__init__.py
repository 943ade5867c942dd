"""What an operator sees of a running server: Prometheus metrics (metrics.py, exposed by
exposition.py), one structured log line per request and per cast (logs.py), and the request
middleware that makes both (requests.py)."""
