"""Live audits on the proxy: the service that plans, admits and runs them off the request path (`audit_service`), the
audit calls and the judge through the Router, billed to the caller (`audit_calls`), and admission against the audit
budget and the caller's LiteLLM budgets (`audit_admission`). A routed group's guardrail lives with routing
(routing/audit_routing.py)."""
