"""The Redis stores, all on one base (`redis_store`: the client LiteLLM's own RedisCache holds, and what a store does
when Redis is down): the judge cache (`redis_judge_store`), the live audits' shared counts (`redis_audit_store`) and
learning's labels and models (`redis_learning_store`)."""
