"""The package's layers, read from its imports (every import statement, in functions and TYPE_CHECKING blocks too):
config → routing → engine → learning and observability (side by side: neither imports the other) → adapter,
LiteLLM only in adapter/, and the rules the README's Architecture section states for engine/'s and adapter/'s
sub-packages."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import litellm_fusion

PACKAGE = Path(litellm_fusion.__file__).parent
TOP = "(top)"  # the package's own modules: __init__.py, cli.py, cli_audit.py

MAY_IMPORT: dict[str, set[str]] = {
    "config": set(),
    "routing": {"config"},
    "engine": {"config", "routing"},
    "learning": {"config", "routing", "engine"},
    "observability": {"config", "routing", "engine"},
    "adapter": {"config", "routing", "engine", "learning", "observability"},
    TOP: {"config", "routing", "engine", "learning", "observability", "adapter"},
}
# The one documented exception to "LiteLLM only in adapter/": config/fusion.py reads the names of LiteLLM's own
# litellm_params from its pydantic models (lazily) to tell them from fusion options.
LITELLM_OUTSIDE_ADAPTER = {"config/fusion.py"}


def imports(package: Path) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(file relative to the package, absolute module parts) for every import in the package."""
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package)
        here = (package.name, *rel.with_suffix("").parts)
        base = here[:-1]  # the package a relative import starts from (for __init__.py: its own package)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield rel.as_posix(), tuple(alias.name.split("."))
            elif isinstance(node, ast.ImportFrom):
                if not node.level:
                    yield rel.as_posix(), tuple((node.module or "").split("."))
                    continue
                start = base[: len(base) - (node.level - 1)]
                if node.module:
                    yield rel.as_posix(), (*start, *node.module.split("."))
                else:  # `from .. import x`: x may be a module
                    for alias in node.names:
                        yield rel.as_posix(), (*start, alias.name)


def folder(package: Path, parts: tuple[str, ...]) -> str:
    """The package folder a module of the package belongs to, or TOP."""
    if len(parts) < 2 or (package / f"{parts[1]}.py").exists():
        return TOP
    return parts[1]


def violations(package: Path) -> list[str]:
    found = []
    for rel, parts in imports(package):
        source = rel.split("/")[0] if "/" in rel else TOP
        if parts[0] == "litellm" and source != "adapter" and rel not in LITELLM_OUTSIDE_ADAPTER:
            found.append(f"{rel} imports LiteLLM ({'.'.join(parts)})")
        if parts[0] != package.name:
            continue
        target = folder(package, parts)
        if target != source and target not in MAY_IMPORT[source]:
            found.append(f"{rel} ({source}) imports {'.'.join(parts)} ({target})")
        inner = parts[2] if len(parts) > 2 else ""
        if rel.startswith("engine/answers/") and target == "engine" and inner not in ("answers", "records", "offload"):
            found.append(f"{rel} (engine/answers, beside records.py and offload.py) imports {'.'.join(parts)}")
        if source == "engine" and not rel.startswith("engine/audit/") and target == "engine" and inner == "audit":
            found.append(f"{rel} (engine, below engine/audit) imports {'.'.join(parts)}")
    return found


def adapter_cycles(package: Path) -> list[str]:
    """Import cycles between adapter/'s sub-packages (every import, late ones too), one line each, e.g. `a -> b -> a`.
    The adapter's top-level modules (callbacks.py, startup.py, learning.py) are not sub-packages and not counted."""
    edges: dict[str, set[str]] = {}
    for rel, parts in imports(package):
        segments = rel.split("/")
        if segments[0] != "adapter" or len(segments) < 3 or parts[:2] != (package.name, "adapter") or len(parts) < 3:
            continue
        target = parts[2]
        if target != segments[1] and (package / "adapter" / target).is_dir():
            edges.setdefault(segments[1], set()).add(target)
    found = []

    def walk(path: list[str]) -> None:
        for nxt in sorted(edges.get(path[-1], ())):
            if nxt == path[0]:
                found.append(" -> ".join([*path, nxt]))
            elif nxt not in path and nxt > path[0]:  # each cycle once, from its smallest sub-package
                walk([*path, nxt])

    for start in sorted(edges):
        walk([start])
    return found


def test_every_folder_imports_only_the_layers_before_it_and_litellm_only_in_the_adapter() -> None:
    assert violations(PACKAGE) == []


def test_adapter_sub_packages_import_each_other_without_a_cycle() -> None:
    assert adapter_cycles(PACKAGE) == []


def test_every_folder_of_the_package_has_a_layer() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and any(p.glob("*.py"))}  # observability/: no __init__
    assert folders | {TOP} == set(MAY_IMPORT)


def test_the_check_sees_upward_relative_absolute_and_late_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "litellm_fusion"
    for name in (
        "config",
        "routing",
        "engine",
        "engine/answers",
        "engine/audit",
        "adapter",
        "adapter/fusion",
        "observability",
    ):
        (pkg / name).mkdir(parents=True)
        (pkg / name / "__init__.py").write_text("")
    (pkg / "cli.py").write_text("from .adapter import x\n")  # allowed: the CLI is on top
    (pkg / "routing" / "gate.py").write_text("def f():\n    from ..engine.records import T\n")
    (pkg / "config" / "cache.py").write_text("import litellm\n")
    (pkg / "engine" / "answers" / "relation.py").write_text("from ..calls import run_panel\nfrom ..records import T\n")
    (pkg / "engine" / "judge.py").write_text("from .audit import runner\n")
    (pkg / "observability" / "__init__.py").write_text("from litellm_fusion.adapter import handler\n")
    (pkg / "adapter" / "handler.py").write_text(
        "import litellm\nfrom .. import cli\n"
    )  # an adapter may not import the CLI
    (pkg / "adapter" / "fusion" / "billing.py").write_text(
        "import litellm\nfrom ...cli import main\n"
    )  # nor its sub-packages
    found = violations(pkg)
    assert found == [
        "adapter/fusion/billing.py (adapter) imports litellm_fusion.cli ((top))",
        "adapter/handler.py (adapter) imports litellm_fusion.cli ((top))",
        "config/cache.py imports LiteLLM (litellm)",
        "engine/answers/relation.py (engine/answers, beside records.py and offload.py) imports litellm_fusion.engine.calls",
        "engine/judge.py (engine, below engine/audit) imports litellm_fusion.engine.audit",
        "observability/__init__.py (observability) imports litellm_fusion.adapter (adapter)",
        "routing/gate.py (routing) imports litellm_fusion.engine.records (engine)",
    ]


def test_the_cycle_check_sees_a_late_import_between_adapter_sub_packages(tmp_path: Path) -> None:
    pkg = tmp_path / "litellm_fusion"
    for name in ("adapter", "adapter/fusion", "adapter/audit", "adapter/budgets", "adapter/proxy_access"):
        (pkg / name).mkdir(parents=True)
        (pkg / name / "__init__.py").write_text("")
    (pkg / "adapter" / "callbacks.py").write_text("from .fusion import handler\nfrom .audit import service\n")  # top
    (pkg / "adapter" / "proxy_access" / "router.py").write_text("import litellm\n")
    (pkg / "adapter" / "budgets" / "reserve.py").write_text("from ..proxy_access import router\n")
    (pkg / "adapter" / "fusion" / "handler.py").write_text(
        "from ..audit.service import run\nfrom ..budgets import reserve\n"
    )
    (pkg / "adapter" / "audit" / "service.py").write_text("from ..proxy_access.router import r\n")
    assert adapter_cycles(pkg) == []
    (pkg / "adapter" / "audit" / "routed.py").write_text(
        "def f():\n    from litellm_fusion.adapter.fusion import handler\n"
    )
    assert adapter_cycles(pkg) == ["audit -> fusion -> audit"]
