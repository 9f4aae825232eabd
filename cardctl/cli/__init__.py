"""The command line: the only place typer is imported. Commands parse, call the library, render."""
