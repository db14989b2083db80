"""A text progress bar for the connector commands: redrawn in place on a terminal, one line per
page otherwise (logs, cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import OutputWrapper
from django.utils.translation import gettext as _

from clearinghouse.federation.connectors.models import ImportJob

WIDTH = 30


class ProgressBar:
    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.drawn = False

    def _write(self, text: str) -> None:
        if isinstance(self.stream, OutputWrapper):
            self.stream.write(text, ending="")
        else:
            self.stream.write(text)

    def __call__(self, job: ImportJob) -> None:
        total = job.total or 0
        done = min(job.seen, total) if total else job.seen
        if total:
            filled = int(WIDTH * done / total)
            bar = "#" * filled + "-" * (WIDTH - filled)
            line = _("[%(bar)s] %(done)s/%(total)s documents, page %(page)s") % {
                "bar": bar,
                "done": done,
                "total": total,
                "page": job.pages,
            }
        else:
            line = _("%(done)s documents, page %(page)s") % {"done": done, "page": job.pages}
        if self.tty:
            self._write("\r" + line)
            self.drawn = True
        else:
            self._write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.drawn:
            self._write("\n")
            self.stream.flush()
