"""Numerical rewrite rules, one module per theme; :mod:`derivation.rewriting` orders them."""
