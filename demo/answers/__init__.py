"""The answers catalog: every answered interview question, its code and its proof."""
