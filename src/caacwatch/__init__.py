"""caacwatch: structured, sourced records of alleged grave violations against children in armed conflict."""

__version__ = "0.1.0"
