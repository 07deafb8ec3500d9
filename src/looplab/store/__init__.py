"""The run store: one directory per run, with config, provenance, events, artifacts and summary."""
