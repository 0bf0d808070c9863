"""Dividing and redrawing a community's grid cells: proposals, edits, approval, lineage."""
