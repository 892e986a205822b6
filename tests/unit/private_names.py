"""Finds uses of other packages' private names in Python source (tests/unit/test_public_apis_only.py).

A private name is one with a leading underscore (not a dunder), or a module under `_pytest`,
`internal` or another underscored package. What counts as a use:
- importing such a module or name from another package;
- reading or writing such an attribute on anything but our own objects: a name the scanned
  code itself defines (a function, class, attribute or variable) is ours;
- getattr/setattr/hasattr/delattr with such a name as a string;
- overriding such a method in a subclass of another package's class;
- assigning to an attribute of another package's module or class (monkeypatching it);
- importlib.import_module of such a module.
"""

from __future__ import annotations

import ast
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path

OWN_PACKAGES = ("dcr_harness", "conformance", "load", "tests", "bench")
ATTR_FUNCTIONS = ("getattr", "setattr", "hasattr", "delattr")


@dataclass(frozen=True, order=True)
class Use:
    path: str
    line: int
    name: str
    how: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.how} {self.name}"


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_module(module: str) -> bool:
    parts = module.split(".")
    return module != "__future__" and any(is_private(p) or p == "internal" for p in parts)


def foreign(module: str | None) -> bool:
    """A module of another package (the standard library included); relative imports are ours."""
    return module is not None and module != "" and module.split(".")[0] not in OWN_PACKAGES


class _Owned(ast.NodeVisitor):
    """Every name the scanned code defines itself."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.add_function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self.add_function(node)

    def add_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.names.add(node.name)
        self.names.update(a.arg for a in node.args.args + node.args.kwonlyargs + node.args.posonlyargs)
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.names.add(node.name)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store):
            self.names.add(node.id)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
            self.names.add(node.attr)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:  # dataclass fields, __slots__ and setattr on self
        if isinstance(node.func, ast.Name) and node.func.id == "setattr" and len(node.args) >= 2:
            if (
                isinstance(node.args[0], ast.Name)
                and node.args[0].id == "self"
                and isinstance(node.args[1], ast.Constant)
            ):
                self.names.add(str(node.args[1].value))
        self.generic_visit(node)


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: str, owned: set[str]) -> None:
        self.path, self.owned = path, owned
        self.uses: list[Use] = []
        self.foreign_names: set[str] = set()  # names bound to another package's module or object
        self.imported: dict[str, str] = {}  # such a name -> the module (and attribute) it was imported as
        self.constants: dict[str, str] = {}  # module-level NAME = "string"

    def use(self, node: ast.AST, name: str, how: str) -> None:
        self.uses.append(Use(self.path, getattr(node, "lineno", 0), name, how))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if foreign(alias.name):
                bound = (alias.asname or alias.name).split(".")[0]
                self.foreign_names.add(bound)
                self.imported[bound] = alias.name if alias.asname else bound
                if private_module(alias.name):
                    self.use(node, alias.name, "imports private module")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level or not foreign(node.module):
            return
        if private_module(node.module or ""):
            self.use(node, node.module or "", "imports from private module")
        for alias in node.names:
            self.foreign_names.add(alias.asname or alias.name)
            self.imported[alias.asname or alias.name] = f"{node.module}:{alias.name}"
            if is_private(alias.name):
                self.use(node, f"{node.module}.{alias.name}", "imports private name")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        root = node.value
        while isinstance(root, ast.Attribute):
            root = root.value
        on_self = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
        from_foreign = isinstance(root, ast.Name) and root.id in self.foreign_names
        if is_private(node.attr) and not on_self and (from_foreign or node.attr not in self.owned):
            self.use(node, node.attr, "uses private attribute")
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._monkeypatch(target)
        self.generic_visit(node)

    def _monkeypatch(self, target: ast.expr) -> None:
        if isinstance(target, ast.Attribute):
            root = target.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in self.foreign_names:
                self.use(target, ast.unparse(target), "assigns to another package's")

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        first = node.args[0] if node.args else None
        attr_arg = node.args[1] if len(node.args) >= 2 else None
        if isinstance(attr_arg, ast.Name) and attr_arg.id in self.constants:  # a name held in a constant
            attr_arg = ast.Constant(self.constants[attr_arg.id])
        if name in ATTR_FUNCTIONS and isinstance(attr_arg, ast.Constant):
            attr = str(attr_arg.value)
            on_self = isinstance(first, ast.Name) and first.id in ("self", "cls")
            if is_private(attr) and not on_self and attr not in self.owned:
                self.use(node, attr, f"{name}() of private attribute")
        if name == "setattr" and isinstance(first, ast.Name) and first.id in self.foreign_names:
            self.use(node, first.id, "setattr() on another package's")
        if name == "import_module" and isinstance(first, ast.Constant) and private_module(str(first.value)):
            self.use(node, str(first.value), "imports private module")
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        bases = [b for b in node.bases if _root_name(b) in self.foreign_names]
        for item in node.body if bases else []:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and is_private(item.name):
                if any(_base_has(self.imported.get(_root_name(b) or ""), b, item.name) for b in bases):
                    self.use(item, f"{ast.unparse(bases[0])}.{item.name}", "overrides private method")
        self.generic_visit(node)


def _base_has(imported: str | None, base: ast.expr, name: str) -> bool:
    """Whether another package's base class defines `name` (True when the class cannot be found)."""
    if imported is None:
        return True
    module, _, attr = imported.partition(":")
    try:
        obj = importlib.import_module(module)
        for part in ([attr] if attr else []) + ast.unparse(base).split(".")[1:]:
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        return True
    return hasattr(obj, name)


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def scan(files: list[Path], root: Path) -> list[Use]:
    trees = {f: ast.parse(f.read_text(encoding="utf-8"), str(f)) for f in files}
    owned = _Owned()
    for tree in trees.values():
        owned.visit(tree)
    uses: list[Use] = []
    for f, tree in trees.items():
        scanner = _Scanner(f.relative_to(root).as_posix(), owned.names)
        # Imports first, wherever they are, so that every use of a foreign name is recognized.
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                scanner.visit_Import(node)
            elif isinstance(node, ast.ImportFrom):
                scanner.visit_ImportFrom(node)
        for node in tree.body:
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                scanner.constants.update({t.id: node.value.value for t in node.targets if isinstance(t, ast.Name)})
        scanner.uses.clear()
        scanner.visit(tree)
        uses.extend(scanner.uses)
    return sorted(set(uses))


def source_files(root: Path) -> list[Path]:
    """The shipped source: the package, the suites, the load profiles, the project conftest."""
    files = [p for d in ("dcr_harness", "conformance", "load") for p in sorted((root / d).rglob("*.py"))]
    return files + [root / "conftest.py"]


if __name__ == "__main__":  # python tests/unit/private_names.py [ROOT]: list every use
    top = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    for found in scan(source_files(top), top):
        print(found)
