"""recap: turn a podcast episode or video into a publishable markdown blog post."""

__version__ = "0.1.0"
