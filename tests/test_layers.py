"""The layering the README promises holds, and stays true.

The contracts are the import-linter contracts in pyproject.toml (`lint-imports` runs them in
.ci/run); this test reads the same contracts and checks them on an import graph built with
the standard library (``ast``), so the README's test command enforces them without the lint
tools installed. Imports inside functions count, as they do for import-linter; indirect
imports count unless a contract allows them. On top of the static graph, the commands are
imported and run in a fresh interpreter to show what they really load.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from collections import deque
from pathlib import Path
from typing import Any, Iterable, Optional

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the TOML reader pip itself carries (no extra dependency)
    from pip._vendor import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "tatango_iac"

Graph = dict[str, set[str]]


def _module_name(path: Path, base: Path) -> str:
    parts = list(path.relative_to(base).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_graph(base: Path = ROOT, package: str = PACKAGE) -> Graph:
    """Module -> the modules it imports (ours by full name, others by top-level name)."""
    files = {_module_name(p, base): p for p in (base / package).rglob("*.py")}
    graph: Graph = {}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        graph[name] = set(_imports(ast.parse(path.read_text(encoding="utf-8")), name, is_package, files))
    return graph


def _imports(tree: ast.AST, module: str, is_package: bool, ours: dict[str, Path]) -> Iterable[str]:
    for node in ast.walk(tree):  # every import, at module level or inside a function
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield _target(alias.name, ours)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield candidate if candidate in ours else _target(base, ours)


def _target(name: str, ours: dict[str, Path]) -> str:
    return name if name.split(".")[0] == PACKAGE and name in ours else name.split(".")[0]


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _expression(pattern: str) -> re.Pattern[str]:
    """import-linter's wildcards: ``*`` one name, ``**`` one or more."""
    out = []
    for part in pattern.split("."):
        out.append({"*": r"[^.]+", "**": r"[^.]+(?:\.[^.]+)*"}.get(part, re.escape(part)))
    return re.compile(r"\.".join(out) + r"\Z")


def _ignored(contract: dict[str, Any]) -> list[tuple[re.Pattern[str], re.Pattern[str]]]:
    pairs = []
    for text in contract.get("ignore_imports", []):
        importer, _, imported = (s.strip() for s in text.partition("->"))
        pairs.append((_expression(importer), _expression(imported)))
    return pairs


def violations(graph: Graph, contract: dict[str, Any]) -> list[str]:
    """Chains from a source module to a forbidden one (a ``forbidden`` contract of import-linter)."""
    assert contract["type"] == "forbidden", contract
    ignored = _ignored(contract)
    sources, forbidden = contract["source_modules"], contract["forbidden_modules"]
    indirect = not contract.get("allow_indirect_imports", False)

    def edges(module: str) -> Iterable[str]:
        for imported in sorted(graph.get(module, ())):
            if not any(a.match(module) and b.match(imported) for a, b in ignored):
                yield imported

    found = []
    for start in sorted(m for m in graph if any(_within(m, s) for s in sources)):
        chain = _first_chain(
            start,
            edges,
            lambda m: any(_within(m, f) for f in forbidden),
            indirect,
            lambda m: any(_within(m, s) for s in sources),
        )
        if chain:
            found.append(" -> ".join(chain))
    return found


def _first_chain(start: str, edges: Any, bad: Any, indirect: bool, is_source: Any) -> Optional[list[str]]:
    seen, queue = {start}, deque([[start]])
    while queue:
        chain = queue.popleft()
        for nxt in edges(chain[-1]):
            if bad(nxt):
                return chain + [nxt]
            if indirect and nxt not in seen and not is_source(nxt):
                seen.add(nxt)
                queue.append(chain + [nxt])
    return None


def contracts() -> list[dict[str, Any]]:
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)["tool"]["importlinter"]["contracts"]


def test_every_layering_contract_holds():
    graph = import_graph()
    broken = {c["name"]: violations(graph, c) for c in contracts()}
    assert {name: chains for name, chains in broken.items() if chains} == {}


def test_the_contracts_cover_what_the_readme_promises():
    by_id = {c["id"]: c for c in contracts()}
    assert {"identity", "reader", "planning", "apply", "sandbox", "sandbox-users", "requests"} <= set(by_id)
    assert "tatango_iac.engine" in by_id["reader"]["forbidden_modules"]  # the reader imports nothing of the planner
    assert "tatango_iac.api" in by_id["planning"]["forbidden_modules"]  # planning does no I/O
    assert "tatango_iac.apply" in by_id["planning"]["forbidden_modules"]


def test_the_checker_finds_a_direct_and_an_indirect_violation(tmp_path):
    # A throw-away package where the planner reaches the API through a helper: both chains are found.
    pkg = tmp_path / PACKAGE
    for name, text in {
        "__init__.py": "",
        "api/__init__.py": "",
        "api/client.py": "import requests\n",
        "engine/__init__.py": "",
        "engine/direct.py": "def f():\n    from tatango_iac.api import client\n",  # inside a function
        "engine/indirect.py": "from tatango_iac import helper\n",
        "helper.py": "from tatango_iac.api.client import X\n",
        "engine/fine.py": "from . import direct\n",  # relative, within the package: allowed
    }.items():
        (pkg / name).parent.mkdir(parents=True, exist_ok=True)
        (pkg / name).write_text(text, encoding="utf-8")
    graph = import_graph(tmp_path)
    contract = {"type": "forbidden", "source_modules": ["tatango_iac.engine"], "forbidden_modules": ["tatango_iac.api"]}
    assert violations(graph, contract) == [  # engine.fine reaches the API only through engine.direct, shown once
        "tatango_iac.engine.direct -> tatango_iac.api.client",
        "tatango_iac.engine.indirect -> tatango_iac.helper -> tatango_iac.api.client",
    ]
    assert violations(graph, {**contract, "allow_indirect_imports": True}) == [
        "tatango_iac.engine.direct -> tatango_iac.api.client"
    ]
    ignoring = {
        **contract,
        "ignore_imports": [
            "tatango_iac.engine.direct -> tatango_iac.api.*",
            "tatango_iac.helper -> tatango_iac.api.**",
        ],
    }
    assert violations(graph, ignoring) == []
    third_party = {"type": "forbidden", "source_modules": ["tatango_iac.helper"], "forbidden_modules": ["requests"]}
    assert violations(graph, third_party) == ["tatango_iac.helper -> tatango_iac.api.client -> requests"]


def _fresh_interpreter(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_cli_imports_and_validates_where_fcntl_does_not_exist_and_never_loads_the_sandbox():
    # As on Windows: no fcntl module. validate and a plan against a real API must not load the emulator.
    out = _fresh_interpreter("""
        import sys
        sys.modules["fcntl"] = None  # import fcntl now raises ImportError, as on Windows
        from tatango_iac.cli import main
        for argv in (["validate", "examples/invalid/"], ["validate", "--help"], ["plan", "--help"],
                     ["plan", "examples/"]):
            try:
                main(argv)
            except SystemExit as exc:
                print(argv[0], exc.code)
        print(sorted(m for m in sys.modules if m.startswith("tatango_iac.sandbox")))
    """)
    lines = out.strip().splitlines()
    assert lines[-1] == "[]"  # the sandbox was never imported
    assert "validate 1" in lines and "plan 1" in lines  # ran (invalid examples; no credentials)


def test_the_sandbox_runs_where_fcntl_does_not_exist(tmp_path):
    # The state lock is portable (filelock): two commands on one state still exclude each other.
    out = _fresh_interpreter(f"""
        import sys
        sys.modules["fcntl"] = None
        from tatango_iac.sandbox.storage import StateLocked, locked
        path = {str(tmp_path / "state.json")!r}
        with locked(path):
            try:
                with locked(path, timeout=0):
                    print("not exclusive")
            except StateLocked as exc:
                print("locked:", exc)
        with locked(path, timeout=0):
            print("released")
    """)
    assert out.splitlines() == [
        f"locked: another command is using the sandbox state {tmp_path / 'state.json'} (waited 0 s; "
        "a `sandbox serve` on it holds it while it runs)",
        "released",
    ]


def test_only_the_client_imports_requests_whatever_new_modules_appear():
    # The contract lists its source modules; this holds for modules added after it was written too.
    graph = import_graph()
    direct = sorted(m for m, imported in graph.items() if imported & {"requests", "urllib3"})
    assert direct == ["tatango_iac.api.client"]
