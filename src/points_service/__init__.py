"""points-service: the support-points ledger."""
