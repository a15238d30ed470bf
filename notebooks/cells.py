"""How a notebook's cells are written in ``notebooks/build.py`` and the modules beside it: a
Markdown cell is a string, a code cell a string made by :func:`code`."""


def code(source: str) -> str:
    """A code cell holding ``source``."""
    return "# %%\n" + source.strip()
