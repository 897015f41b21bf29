"""Stand-in for get-pip.py: ansible-test runs it to put pip into a new venv.

The real script is downloaded from a host this machine cannot reach.  This
one installs pip from the interpreter's own ensurepip in a child process and
then installs what it was asked for with that pip.
"""
import subprocess
import sys


def main():
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade", "--default-pip"])
    args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
    if args:
        subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)


if __name__ == "__main__":
    main()
