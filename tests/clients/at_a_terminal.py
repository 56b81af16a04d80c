"""A person at a terminal, for tests/all/cli.rs: runs a command with stdin and stderr on a pseudo-terminal
(stdout stays a pipe), answers each prompt (text ending in ": ") with the next line given, and prints
{"stdout", "terminal", "code"} as JSON. Every wait has a deadline: a command that stops asking fails the
test, it never hangs it.

    at_a_terminal.py ANSWERS_JSON COMMAND [ARG...]
"""
import json
import os
import pty
import select
import subprocess
import sys
import termios
import time

DEADLINE = 60.0


def main() -> int:
    answers = json.loads(sys.argv[1])
    master, slave = pty.openpty()
    attributes = termios.tcgetattr(slave)
    attributes[3] &= ~termios.ECHO  # what is typed is not shown back: the transcript is the program's own
    termios.tcsetattr(slave, termios.TCSANOW, attributes)
    child = subprocess.Popen(sys.argv[2:], stdin=slave, stderr=slave, stdout=subprocess.PIPE)
    os.close(slave)
    deadline = time.monotonic() + DEADLINE
    transcript, pending = b"", b""
    while answers:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([master], [], [], max(left, 0))
        if not ready:
            print(json.dumps({"error": "no prompt came", "terminal": transcript.decode(errors="replace")}))
            child.kill()
            return 1
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        transcript += chunk
        pending += chunk
        if pending.rstrip(b" ").endswith(b":"):
            os.write(master, answers.pop(0).encode() + b"\n")
            pending = b""
    stdout, _ = child.communicate(timeout=max(deadline - time.monotonic(), 1))
    while select.select([master], [], [], 0.1)[0]:
        try:
            transcript += os.read(master, 4096)
        except OSError:
            break
    print(json.dumps({"stdout": stdout.decode(), "terminal": transcript.decode(errors="replace"), "code": child.returncode}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
