"""Everything that talks to a language model; the only package that imports openai."""
