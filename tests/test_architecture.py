"""The house plan: each package imports only from the floors below it (ARCHITECTURE.md)."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
FLOORS = {"core": 0, "games": 1, "agents": 2, "learners": 3, "retrieval": 3,
          "actors": 4, "evaluation": 4, "cli": 5, "gui": 5}
# Same-floor imports the plan allows: `stratago play` (cli) starts the GUI's server.
ALLOWED = {("cli", "gui")}


def _project_imports(path: pathlib.Path) -> set[str]:
  tree = ast.parse(path.read_text(), filename=str(path))
  names = set()
  for node in ast.walk(tree):
    if isinstance(node, ast.Import):
      names.update(alias.name.split(".")[0] for alias in node.names)
    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
      names.add(node.module.split(".")[0])
  return names & set(FLOORS)


@pytest.mark.parametrize("package", sorted(FLOORS))
def test_imports_only_from_floors_below(package):
  floor = FLOORS[package]
  wrong = []
  for path in sorted((ROOT / package).rglob("*.py")):
    for name in sorted(_project_imports(path) - {package}):
      if FLOORS[name] >= floor and (package, name) not in ALLOWED:
        wrong.append(f"{path.relative_to(ROOT)} imports {name} (floor {FLOORS[name]}, not below {floor})")
  assert not wrong, "\n".join(wrong)
