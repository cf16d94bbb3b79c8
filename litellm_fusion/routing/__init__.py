"""Complexity routing: request text, features and difficulty model, deployment strengths, strategy."""
