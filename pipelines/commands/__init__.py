"""The `mlcost` sub-commands, one module each (pipelines/cli.py lists them). A command imports no
other command; a failure the user can act on is raised as CommandError."""


class CommandError(Exception):
    """A failure to report to the user in one line, without a traceback."""
