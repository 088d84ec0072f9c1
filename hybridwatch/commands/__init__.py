"""Click commands that live beside their stages; ``hybridwatch.cli`` registers them on the main group."""
