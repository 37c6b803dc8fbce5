"""``tatango-iac pull``: take live values back into the YAML files (the account wins)."""

from tatango_iac.pull.run import PullError, PullReport, definition, pull

__all__ = ["PullError", "PullReport", "definition", "pull"]
