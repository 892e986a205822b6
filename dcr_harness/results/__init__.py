"""The run's results as values: one typed record per check, the RunResult and its builder
(results.json, schemas/results.schema.json), structured reasons, and the exit-code rule."""
