"""Registers every command on the group (imported by ``main``)."""
from tatango_iac.cli import apply_cmd, doctor_cmd, export_cmd, plan_cmd, sandbox_cmd, validate_cmd  # noqa: F401
