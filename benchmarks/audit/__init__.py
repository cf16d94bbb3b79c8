"""Live audits (issue 23): the audit estimate against the truth, interval coverage and latency, replayed through a real proxy."""
