"""Learning from live labels (issue 23): learned tier skips and routed estimates on leave-one-family-out streams."""
