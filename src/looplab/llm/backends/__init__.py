"""LLM backends: the implementations of the `LLM` protocol that produce replies.

`local` (the embedded model), `openai` (any OpenAI-compatible endpoint) and `litellm` call a model;
`scripted` (canned replies, for tests and demos) and `replay` (answers only from the reply cache) work
offline. Each lives in its own module and is imported only when chosen, so a missing optional extra
fails only the backend that needs it.
"""
