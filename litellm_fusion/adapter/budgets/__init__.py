"""Reservation against LiteLLM's own budgets: reserving and releasing a call's worst case on a key, team, user or
end user (`budget_reservation`), a request's worst-case estimate (`request_estimate`) and the proxy hook that reserves
it before anything runs (`request_reservation`)."""
