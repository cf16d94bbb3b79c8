"""Learning from live traffic's labels (issue 23): which cascade tiers and routed deployments suffice for which
requests. Pure: no LiteLLM import (Redis is reached through adapter/stores/redis_learning_store.py)."""
