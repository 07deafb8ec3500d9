"""Search policies: which candidate survives an update. One small module per policy; `make_policy` picks."""
