"""Rule files (data). Loaded by radfollow.nlp.ruleset."""
