from cardctl.cli.entry import run

run()
