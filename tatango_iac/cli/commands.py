"""Registers every command on the group (imported by ``main``)."""

from tatango_iac.cli import (  # noqa: F401
    apply_cmd,
    ci_cmd,
    doctor_cmd,
    export_cmd,
    plan_cmd,
    pull_cmd,
    sandbox_cmd,
    validate_cmd,
)
