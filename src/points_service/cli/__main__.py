"""`python -m points_service.cli`, as the `points-service` command."""

from . import main

main()
