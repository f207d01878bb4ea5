"""Background workflows (summaries, titles): one description of the steps, two runners."""
