"""The LiteLLM adapter: the only layer that imports LiteLLM."""
