"""Queue assignment: strategies that order candidate agents, the store that assigns, the service that decides when."""
