"""The one command-line entry point: `python manage.py <command> [options]`.

Each module in `cli/` adds its commands through `register(subparsers)`; a command's handler
returns the process exit code. Errors meant for the operator are raised as `cli.CommandError`
and printed without a traceback.
"""

from __future__ import annotations

import argparse
import sys

from cli import COMMAND_MODULES, CommandError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python manage.py", description="卫生健康绩效考核系统 — 运维命令")
    sub = parser.add_subparsers(dest="command", required=True, metavar="<command>")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except CommandError as exc:
        print(str(exc), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from sqlalchemy.exc import DBAPIError

        if not isinstance(exc, DBAPIError):
            raise
        from cli.db import database_problem

        print(database_problem(), file=sys.stderr)  # the operator's next step, not the driver's words
        return 1


if __name__ == "__main__":
    sys.exit(main())
