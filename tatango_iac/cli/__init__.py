"""The command line (``tatango-iac``): one module per command, ``main`` as the entry point."""

from tatango_iac.cli.main import cli, main

__all__ = ["cli", "main"]
