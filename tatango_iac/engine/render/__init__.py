"""Plan renderers: Terraform-like text, JSON (documented in the README), Markdown for PR comments."""

from tatango_iac.engine.plan import Plan
from tatango_iac.engine.render.drift import (
    drift_failing,
    drift_of_list,
    drift_status,
    render_drift_markdown,
    render_drift_text,
)
from tatango_iac.engine.render.lines import body_lines, headline
from tatango_iac.engine.render.markdown import (
    GITHUB_COMMENT_LIMIT,
    render_markdown,
    render_markdown_error,
)
from tatango_iac.engine.render.text import render_text, render_text_tty


def render_json(plan: Plan) -> str:
    return plan.dumps()


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown}

__all__ = [
    "GITHUB_COMMENT_LIMIT",
    "RENDERERS",
    "body_lines",
    "drift_failing",
    "drift_of_list",
    "drift_status",
    "headline",
    "render_drift_markdown",
    "render_drift_text",
    "render_json",
    "render_markdown",
    "render_markdown_error",
    "render_text",
    "render_text_tty",
]
