"""Access to the proxy's own state, one LiteLLM concern per module, for every other part of the adapter: the Router and
its deployments (`router_access`), the request metadata LiteLLM carries (`request_metadata`), the prompt-token count
(`prompt_tokens`), inner calls through the Router (`router_caller`), a fusion model's config (`fusion_config_lookup`),
deployments' prices and strengths (`deployment_profiles`) and the checks of a request's body (`request`). Imports
nothing else of the adapter."""
