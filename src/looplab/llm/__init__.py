"""The LLM layer: request/response types, the `LLM` protocol, backends and the wrappers around them."""
