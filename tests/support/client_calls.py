"""One request through each of the proxy's client APIs (/v1/chat/completions, /v1/messages,
/v1/responses), with the official SDKs, streamed or not."""

from __future__ import annotations

from typing import Any

ENDPOINTS = ("chat", "messages", "responses")  # /v1/chat/completions, /v1/messages, /v1/responses
# LiteLLM's call_type in the spend row, per endpoint
CALL_TYPES = {"chat": "acompletion", "messages": "anthropic_messages", "responses": "aresponses"}


def ask(
    base_url: str,
    key: str,
    endpoint: str,
    model: str,
    text: str,
    *,
    stream: bool = False,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> str:
    """Send `text` as one user turn to `model`; return the reply text (a stream is read to its end)."""
    if endpoint == "messages":
        import anthropic

        client = anthropic.Anthropic(
            base_url=base_url, api_key=key, max_retries=0, timeout=timeout, default_headers=headers
        )
        messages: Any = [{"role": "user", "content": text}]
        if stream:
            with client.messages.stream(model=model, max_tokens=256, messages=messages) as s:
                final = s.get_final_message()
        else:
            final = client.messages.create(model=model, max_tokens=256, messages=messages)
        return "".join(block.text for block in final.content if block.type == "text")

    import openai

    oai = openai.OpenAI(base_url=base_url, api_key=key, max_retries=0, timeout=timeout, default_headers=headers)
    if endpoint == "chat":
        if stream:
            chunks = oai.chat.completions.create(model=model, messages=[{"role": "user", "content": text}], stream=True)
            return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        reply = oai.chat.completions.create(model=model, messages=[{"role": "user", "content": text}])
        return reply.choices[0].message.content or ""
    if endpoint == "responses":
        if stream:
            events = oai.responses.create(model=model, input=text, stream=True)
            return "".join(e.delta for e in events if e.type == "response.output_text.delta")
        return oai.responses.create(model=model, input=text).output_text
    raise ValueError(f"unknown endpoint {endpoint!r}")
