"""The SMS channel's shared domain: models, the table's stores, provider adapters, routing."""
