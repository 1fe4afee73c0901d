"""Operations: metrics (one Prometheus registry per process), health, their HTTP endpoints."""
