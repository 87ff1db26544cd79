"""schemathesis' command line (``python tests/api/schemathesis_cli.py run ...``), with
``ast.parse`` taken by one thread at a time.

On CPython 3.11 the conversion of a parsed tree to Python objects keeps its recursion depth
per interpreter, not per thread: two threads parsing at once (hypothesis describes each
filter's lambda by parsing its source, and ``--workers 2`` runs two) fail at random with
``SystemError: AST constructor recursion depth mismatch`` — an error of the test tool, not of
the server under test, which would make the run's verdict a coin toss."""

import ast
import sys
import threading
from typing import Any

_parse, _one_at_a_time = ast.parse, threading.Lock()


def _serialized_parse(*args: Any, **kwargs: Any) -> Any:
    with _one_at_a_time:
        return _parse(*args, **kwargs)


if __name__ == "__main__":
    ast.parse = _serialized_parse
    from schemathesis.cli import schemathesis

    sys.argv[0] = "schemathesis"
    sys.exit(schemathesis())
