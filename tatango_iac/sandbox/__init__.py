"""A faithful emulator of the Tatango API on loopback (routes -> handlers -> state).

Shares no code with the client: it is the other side of the wire.
"""

from tatango_iac.sandbox.server import SANDBOX_API_KEY, SANDBOX_EMAIL, SandboxServer

__all__ = ["SANDBOX_API_KEY", "SANDBOX_EMAIL", "SandboxServer"]
