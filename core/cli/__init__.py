"""The ``botstore`` command line: headless subcommands for cron, monitors and operators."""
