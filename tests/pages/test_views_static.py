"""Static checks on page scripts: Streamlit "magic" renders every bare expression statement.

A stray string literal (say, an attribute docstring under a constant) would show up as text on the
page, so only real docstrings (the first statement of a module, class or function) are allowed.
"""

import ast
from pathlib import Path

import pytest

VIEWS = sorted((Path(__file__).resolve().parents[2] / "views").glob("*.py"))


def _stray_strings(tree: ast.AST) -> list[int]:
    allowed: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                allowed.add(id(first))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        and id(node) not in allowed
    ]


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: p.name)
def test_no_stray_string_literals_in_pages(path):
    assert _stray_strings(ast.parse(path.read_text(encoding="utf-8"))) == []


def test_the_check_catches_a_stray_string():
    assert _stray_strings(ast.parse('"""doc"""\nX = 1\n"""stray"""\n')) == [3]
