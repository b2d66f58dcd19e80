"""Physics: every metric's first-principles formula (`formulas`), the interpretations it is read under
(`axes`), their evaluation for a scenario (`model`), and the compiled formula cache (`compiled`, `cache`)."""
