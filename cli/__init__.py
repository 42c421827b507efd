"""The `postlaunch` command line (`cli.main`) and one module per subcommand (`cli.commands`). It sits on
top: it parses arguments, calls the packages below and maps errors to exit codes.
"""
