"""`mlcost refresh` (not yet implemented)."""


def register(subparsers) -> None:
    parser = subparsers.add_parser("refresh", help="not yet implemented")
    parser.set_defaults(func=lambda args: print("not yet implemented") or 1)
