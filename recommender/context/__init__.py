"""Listening contexts: the tag list, rule-based and learned taggers."""
