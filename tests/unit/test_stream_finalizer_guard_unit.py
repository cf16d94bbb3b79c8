"""On Python 3.11, LiteLLM's stream finalizer sets context variables wherever the collector happens to run it, which
can free a context's variable mapping under an operation still walking it (CPython gh-148891: a test proxy died of
SIGSEGV in hamt_node_without). The plugin's guard (adapter/stream_finalizer_guard.py) leaves the context alone."""

from __future__ import annotations

import contextvars
import gc
import time

import pytest
from litellm._logging import session_id_var, trace_id_var
from litellm.litellm_core_utils.litellm_logging import Logging
from litellm.litellm_core_utils.streaming_handler import CustomStreamWrapper

from litellm_fusion.adapter import stream_finalizer_guard

pytestmark = pytest.mark.skipif(not stream_finalizer_guard.needed(), reason="Python 3.12+ collects at safe points")


def stream() -> CustomStreamWrapper:
    """A stream as LiteLLM makes one for a call (in that call's own task context)."""
    logging_obj = Logging(
        model="m",
        messages=[],
        stream=True,
        call_type="acompletion",
        start_time=time.time(),
        litellm_call_id="call",
        function_id="f",
    )
    return CustomStreamWrapper(completion_stream=None, model="m", logging_obj=logging_obj, custom_llm_provider="openai")


def variables_after(finalize) -> set[str]:
    """Which of LiteLLM's correlation variables the finalizer put into the (fresh) context that ran it."""

    def run() -> set[str]:
        wrapper = contextvars.Context().run(stream)  # made by another task, as in the proxy
        finalize(wrapper)
        ctx = contextvars.copy_context()
        return {var.name for var in (trace_id_var, session_id_var) if var in ctx}

    return contextvars.Context().run(run)


def test_litellms_own_finalizer_sets_context_variables_in_whatever_context_collects_it():
    stream_finalizer_guard.install()
    original = CustomStreamWrapper.__del__.__wrapped__
    assert variables_after(original) == {"trace_id", "session_id"}


def test_with_the_guard_a_collected_stream_leaves_the_collecting_context_alone():
    assert stream_finalizer_guard.install()
    assert stream_finalizer_guard.install(), "installing twice keeps the one guard"
    assert not hasattr(CustomStreamWrapper.__del__.__wrapped__, "__wrapped__")

    def collected_in_a_cycle(wrapper: CustomStreamWrapper) -> None:
        wrapper.cycle = wrapper  # garbage only the cyclic collector frees, as an abandoned stream often is
        del wrapper
        gc.collect()

    assert variables_after(collected_in_a_cycle) == set()


def test_the_plugins_callbacks_install_the_guard():
    from litellm_fusion.adapter.callbacks import FusionCallbacks

    FusionCallbacks()
    assert getattr(CustomStreamWrapper.__del__, "_litellm_fusion_no_context_set", False)


def test_only_pythons_that_collect_on_allocation_need_it():
    assert stream_finalizer_guard.needed((3, 11))
    assert not stream_finalizer_guard.needed((3, 12))
