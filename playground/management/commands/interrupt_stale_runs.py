"""Marks as interrupted the runs left "streaming" by a server process that stopped.

A run whose process died mid-stream (a crash, a kill, a lost machine) is never finished
by anyone. Opening such a run, the history or the run's stream URL marks it already; this
command does it for every person at once, e.g. from a timer or after a restart.
"""

from django.core.management.base import BaseCommand

from playground.runs.lifecycle import runs_interrupt_stale


class Command(BaseCommand):
    help = "Mark runs still streaming long after PLAYGROUND_COLUMN_MAX_SECONDS as interrupted."

    def handle(self, *args: object, **options: object) -> None:
        marked = runs_interrupt_stale()
        self.stdout.write(f"Marked {marked} stale run{'' if marked == 1 else 's'} as interrupted.")
