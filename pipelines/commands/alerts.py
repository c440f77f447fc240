"""`mlcost alerts` (not yet implemented)."""


def register(subparsers) -> None:
    parser = subparsers.add_parser("alerts", help="not yet implemented")
    parser.set_defaults(func=lambda args: print("not yet implemented") or 1)
