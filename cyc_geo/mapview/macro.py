"""``VerbatimMacro``: the base of every map element cyc-geo renders from a Jinja macro.

Kept apart from :mod:`cyc_geo.mapview.webmap` so that the map tools
(:mod:`cyc_geo.mapview.controls`) can subclass it without importing the map builder.
"""

from __future__ import annotations

from typing import Any

from branca.element import Element, Figure, MacroElement


class _Verbatim(Element):
    """Text already rendered by a macro, emitted as is."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


class VerbatimMacro(MacroElement):
    """A MacroElement whose rendered header/html/script go into the page verbatim.

    branca's ``MacroElement.render`` wraps each rendered macro in ``Element(text)``,
    which compiles the text as a Jinja template. For layers carrying their data
    (hundreds of kB of GeoJSON) that compile was the largest cost of drawing the
    map, and a ``{{`` or ``{%`` in an attribute value would break the page.
    """

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # branca types Element.render as -> str; MacroElement's returns nothing
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError("You cannot render this Element if it is not in a Figure.")
        macros = self._template.module.__dict__
        for part, target in (("header", figure.header), ("html", figure.html), ("script", figure.script)):
            macro = macros.get(part)
            if macro is not None:
                target.add_child(_Verbatim(macro(self, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


def page_figure(element: Element) -> Figure:
    """The :class:`branca.element.Figure` a map (or any element in one) renders into: its ``header``,
    ``html`` and ``script`` sections."""
    root = element.get_root()
    if not isinstance(root, Figure):
        raise TypeError("the element is not in a Figure")
    return root
