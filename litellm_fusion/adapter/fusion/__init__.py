"""The fusion request path: the `CustomLLM` handler LiteLLM calls for a fusion virtual model (`handler`), the plan it
makes before running the engine (`request_plan`: cost cap, complexity gate, start tier, learning and audits, with the
policies in `policies`), the reply in LiteLLM's shapes (`response`), the spend it reports to LiteLLM (`billing`) and
a cascade's savings against its last tier (`cascade_savings`)."""
