"""The ``python`` / ``hokusai`` that executed doc blocks find first on PATH.

Copied by :mod:`tests.docs.warm` into a temporary ``bin`` folder behind a
``#!<venv python> -SE`` line, so it starts in milliseconds (standard library only).
It asks the warm interpreter (``HOKUSAI_DOCS_WARM_SOCKET``) to run the same command
with this process's stdin/stdout/stderr, environment and working directory, relays
signals to it, and exits as it exited. Any command form it does not know
(``python -u …``, an interactive ``python``) and a missing warm interpreter fall back
to the real program in ``HOKUSAI_DOCS_REAL_BIN``: never a different behaviour, at
worst the cold start.
"""

import json
import os
import signal
import socket
import sys

RELAYED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT)


def request(program: str, args: list[str]) -> dict | None:
    """What to ask of the warm interpreter, or None to run the real program."""
    if program == "hokusai":
        return {"mode": "console_script", "name": "hokusai", "argv": args}
    if not args:
        return None if os.isatty(0) else {"mode": "stdin", "argv": ["-"]}
    first = args[0]
    if first == "-":
        return {"mode": "stdin", "argv": args}
    if first == "-c" and len(args) > 1:
        return {"mode": "code", "code": args[1], "argv": ["-c", *args[2:]]}
    if first == "-m" and len(args) > 1:
        return {"mode": "module", "module": args[1], "argv": [args[1], *args[2:]]}
    if not first.startswith("-"):
        return {"mode": "file", "argv": args}
    return None


def receive_json(reader) -> dict | None:
    """The next line of the server's answer (the pid, then how it ended), or None at EOF."""
    line = reader.readline()
    return json.loads(line) if line.endswith(b"\n") else None


def main() -> None:
    program = os.path.basename(sys.argv[0])
    real = os.path.join(os.environ.get("HOKUSAI_DOCS_REAL_BIN", ""), program)
    wanted = request("hokusai" if program == "hokusai" else "python", sys.argv[1:])
    address = os.environ.get("HOKUSAI_DOCS_WARM_SOCKET")
    connection = socket.socket(socket.AF_UNIX)
    try:
        if wanted is None or not address:
            raise OSError("not for the warm interpreter")
        connection.connect(address)
    except OSError:
        os.execv(real, [real, *sys.argv[1:]])
    wanted.update(executable=real, env=dict(os.environ), cwd=os.getcwd())
    socket.send_fds(connection, [json.dumps(wanted).encode() + b"\n"], [0, 1, 2])
    reader = connection.makefile("rb")
    started = receive_json(reader)
    if started is None:
        sys.exit(f"{program}: the docs' warm interpreter closed the connection")
    for number in RELAYED:
        signal.signal(number, lambda sig, _frame: os.kill(started["pid"], sig))
    status = receive_json(reader)
    if status is None:
        sys.exit(f"{program}: the docs' warm interpreter closed the connection")
    if "signal" in status:
        signal.signal(status["signal"], signal.SIG_DFL)
        os.kill(os.getpid(), status["signal"])
    sys.exit(status["exit"])


if __name__ == "__main__":
    main()
