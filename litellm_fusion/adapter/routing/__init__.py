"""Complexity routing on LiteLLM's own deployments: the pre-routing hook that picks a group's deployment
(`routing_hook`), the caller's per-request controls (`caller_routing`), the record of a decision and its headers
(`routing_record`), its spend-log and cascade settlement (`routing_decision`), the live audits' guardrail and follow-up
for a routed group (`audit_routing`), and the `complexity_classifier` LiteLLM's auto router loads
(`complexity_plugin`)."""
