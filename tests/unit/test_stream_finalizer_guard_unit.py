"""On Python 3.11, LiteLLM's stream finalizer sets context variables wherever the collector happens to run it, which
can free a context's variable mapping under an operation still walking it (CPython gh-148891: a test proxy died of
SIGSEGV in hamt_node_without). The plugin's guard (adapter/guards/stream_finalizer_guard.py) leaves the context
alone."""

from __future__ import annotations

import contextvars
import gc
import time
from collections.abc import Callable

import pytest
from litellm._logging import session_id_var, trace_id_var
from litellm.litellm_core_utils.litellm_logging import Logging
from litellm.litellm_core_utils.streaming_handler import CustomStreamWrapper

from litellm_fusion.adapter.guards import stream_finalizer_guard

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


def correlation_ids() -> dict[str, str | None]:
    ctx = contextvars.copy_context()
    return {var.name: ctx.get(var) for var in (trace_id_var, session_id_var)}


def finalizer_changes_context(finalize: Callable[[CustomStreamWrapper], None], made_elsewhere: bool) -> bool:
    """Whether finalizing a stream changes the correlation ids of the context that runs the finalizer: one where
    the stream's call ran (LiteLLM stamps its ids there, by default from 1.102.4 and with request_correlation_in_logs
    on 1.108) or another task's (where, on 1.108, the ids LiteLLM compares against are the defaults)."""

    def run() -> bool:
        wrapper = contextvars.Context().run(stream) if made_elsewhere else stream()
        before = correlation_ids()
        finalize(wrapper)
        return correlation_ids() != before

    return contextvars.Context().run(run)


def collected_in_a_cycle(wrapper: CustomStreamWrapper) -> None:
    wrapper.cycle = wrapper  # garbage only the cyclic collector frees, as an abandoned stream often is
    del wrapper
    gc.collect()


def test_litellms_own_finalizer_sets_context_variables_in_the_context_that_runs_it():
    stream_finalizer_guard.install()
    original = CustomStreamWrapper.__del__.__wrapped__
    assert finalizer_changes_context(original, made_elsewhere=False)


@pytest.mark.parametrize("made_elsewhere", [False, True])
def test_with_the_guard_a_collected_stream_leaves_the_collecting_context_alone(made_elsewhere: bool):
    assert stream_finalizer_guard.install()
    assert stream_finalizer_guard.install(), "installing twice keeps the one guard"
    assert not hasattr(CustomStreamWrapper.__del__.__wrapped__, "__wrapped__")
    assert not finalizer_changes_context(collected_in_a_cycle, made_elsewhere)


def test_the_plugins_callbacks_install_the_guard():
    from litellm_fusion.adapter.callbacks import FusionCallbacks

    FusionCallbacks()
    assert getattr(CustomStreamWrapper.__del__, "_litellm_fusion_no_context_set", False)


def test_only_pythons_that_collect_on_allocation_need_it():
    assert stream_finalizer_guard.needed((3, 11))
    assert not stream_finalizer_guard.needed((3, 12))
