"""What every process uses: logging with personal numbers masked (logs), Prometheus metrics
(metrics) and the internal health and metrics listener (health)."""
