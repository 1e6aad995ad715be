"""Vocabularies and text datasets."""
