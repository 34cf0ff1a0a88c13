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


def _imports_testing(path: pathlib.Path) -> bool:
  """Whether the module imports a `testing` helper module (`x.testing`, or `from x import testing`)."""
  for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
    if isinstance(node, ast.Import) and any(a.name.split(".")[-1] == "testing" for a in node.names):
      return True
    if isinstance(node, ast.ImportFrom) and node.module and (
        node.module.split(".")[-1] == "testing" or any(a.name == "testing" for a in node.names)):
      return True
  return False


def test_no_package_module_imports_the_testing_helpers():
  """games/stratego/testing.py and gui/testing.py serve tests and benchmarks; gui/testing.py needs Playwright,
  a test extra, so the product must not reach them."""
  wrong = [str(p.relative_to(ROOT)) for package in sorted(FLOORS) for p in sorted((ROOT / package).rglob("*.py"))
           if p.name != "testing.py" and _imports_testing(p)]
  assert not wrong, wrong
