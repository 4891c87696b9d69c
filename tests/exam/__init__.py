"""Tests of the clinical examination (issue 5)."""
