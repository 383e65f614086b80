"""The agents' floor: teams, transfer, wrap-up, the block list and pause reasons (docs/floor.md)."""
