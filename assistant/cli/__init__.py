"""The `reflect` command: options, subcommands and text mode."""
