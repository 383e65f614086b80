"""The table's data access, one small store per aggregate, all on the shared `dynamo.Table` (keys in `keys`)."""
