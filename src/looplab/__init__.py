"""looplab: generative optimization with the loop's hidden choices made explicit.

An LLM improves an artifact from execution feedback. The choices that decide whether that works (the
starting artifact, the credit horizon, the batching) are typed, recorded settings here.
"""

__version__ = "0.1.0"
