"""How far a long request has got, for a progress bar polled by the page that sent it.

The request writes `{done, total}` to a small file named by a key the page chose (32 hex
characters), in a folder of the temporary directory; `progress_view` serves it as JSON to staff.
A file rather than the cache: the cache table would be written inside the request's own
transaction, invisible to the poll until the end. It works across the workers of one host
(as the admin's import does: its uploaded file waits in the same temporary directory).

`ProgressLine` is the same bar for a management command's terminal (`seed_demo`, `import_spoolman`).
"""

import json
import os
import re
import tempfile
from pathlib import Path

from django.http import JsonResponse

KEY = re.compile(r"^[0-9a-f]{32}$")


def folder():
    path = Path(tempfile.gettempdir()) / "printfarm-progress"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


class Progress:
    """Reports of one request; a missing or malformed key reports nothing."""

    def __init__(self, key, total):
        self.path = folder() / key if isinstance(key, str) and KEY.match(key) else None
        self.total = total
        self.every = max(total // 50, 1)  # at most ~50 writes, whatever the size

    def advance(self, done):
        if self.path is not None and (done % self.every == 0 or done == self.total):
            temporary = self.path.with_suffix(".tmp")
            temporary.write_text(json.dumps({"done": done, "total": self.total}))
            os.replace(temporary, self.path)

    def finish(self):
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def read(key):
    if not KEY.match(key):
        return None
    try:
        return json.loads((folder() / key).read_text())
    except (FileNotFoundError, ValueError):
        return None


def progress_view(request, key):
    """`{done, total}` of the request reporting under `key`; `{done: 0, total: 0}` before its first report."""
    return JsonResponse(read(key) or {"done": 0, "total": 0})


class ProgressLine:
    """`seeding demo [#######.............]  35%`: rewritten in place on a terminal; elsewhere (a log,
    a pipe) one line every 25 %, so that a slow command shows it is moving without flooding the log.

    Called with the fraction done (0 to 1); `end()` once done. `stdout` is a command's OutputWrapper.
    """

    WIDTH = 20

    def __init__(self, stdout, label):
        self.stdout, self.label = stdout, label
        self.interactive = stdout.isatty()
        self.step = 1 if self.interactive else 25
        self.shown = -1

    def __call__(self, fraction):
        percent = int(fraction * 100)
        if percent // self.step == self.shown // self.step and self.shown >= 0:
            return
        self.shown = percent
        filled = int(fraction * self.WIDTH)
        line = f"{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {percent:3d}%"
        if self.interactive:
            self.stdout.write("\r" + line, ending="")
            self.stdout.flush()
        else:
            self.stdout.write(line)

    def end(self):
        if self.interactive:
            self.stdout.write("")
