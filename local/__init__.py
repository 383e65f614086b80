"""The local stack: ministack orchestration and the provider sandbox."""
