"""Conversations and their message trees: the domain, its repository and its use cases."""
