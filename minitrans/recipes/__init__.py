"""Recipes: pretraining and finetuning runs put together from the pieces (what the CLI calls)."""
