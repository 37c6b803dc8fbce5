"""The command line (``tatango-iac``): one module per command group, ``main`` as the entry point."""
from tatango_iac.cli.commands import cli, main

__all__ = ["cli", "main"]
