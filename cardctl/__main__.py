from cardctl.cli.main import run

run()
