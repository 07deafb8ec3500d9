"""Running loops: one run from a config, resume, sweeps over settings × seeds, and reports."""
