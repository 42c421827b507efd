"""One module per `postlaunch` subcommand: `add_parser(subparsers)` registers it and sets
`run(args) -> int` as the handler. Commands glue settings, registry and the packages together.
"""
