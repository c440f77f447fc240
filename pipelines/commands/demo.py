"""`mlcost demo` (not yet implemented)."""


def register(subparsers) -> None:
    parser = subparsers.add_parser("demo", help="not yet implemented")
    parser.set_defaults(func=lambda args: print("not yet implemented") or 1)
