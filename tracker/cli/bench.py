"""`tracker bench NAME`: the benchmarks (tracker/bench), each a script to rerun, never a timed test."""

from __future__ import annotations

import sys

import click

from ..bench import BENCHMARKS, run


@click.group()
def bench():
    """Rerunnable benchmarks, each beside a baseline measured in the same run.

    `tracker bench NAME --help` lists a benchmark's options; docs/benchmarks.md holds the figures
    they gave. They run from a checkout of the project, with ../shared beside it.
    """


def _benchmark(name: str, what: str) -> click.Command:
    # The options go to the benchmark's own parser untouched, --help included.
    @click.command(name, help=f"{what[0].upper()}{what[1:]}. Options: `tracker bench {name} --help`.",
                   short_help=what, add_help_option=False,
                   context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
    @click.argument("options", nargs=-1, type=click.UNPROCESSED)
    def command(options):
        sys.exit(run(name, list(options)))

    return command


for _name, _what in BENCHMARKS.items():
    bench.add_command(_benchmark(_name, _what))

COMMANDS = (bench,)
