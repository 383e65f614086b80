"""The SMS channel's shared domain: models, the table's repository, provider adapters, routing."""
