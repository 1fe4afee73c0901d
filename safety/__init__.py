"""Safety gates and the pure policy that turns their findings into a Verdict."""
