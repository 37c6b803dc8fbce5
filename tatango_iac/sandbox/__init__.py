"""A faithful emulator of the Tatango API on loopback (routes -> handlers -> state).

Shares no code with the client: it is the other side of the wire.
"""
from tatango_iac.sandbox.server import SandboxServer, SANDBOX_EMAIL, SANDBOX_API_KEY

__all__ = ["SandboxServer", "SANDBOX_EMAIL", "SANDBOX_API_KEY"]
