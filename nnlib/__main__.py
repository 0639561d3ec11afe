"""Command line of nnlib: ``python -m nnlib doctor`` checks this machine for the course."""
import argparse
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nnlib", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("doctor", help="versions, the device nnlib.torch uses and why, a parity check and matmul speed")
    args = parser.parse_args(argv)
    if args.command == "doctor":
        from nnlib.diagnose import doctor

        return 0 if doctor().parity_ok else 1
    return 2  # unreachable: argparse rejects other commands


if __name__ == "__main__":
    sys.exit(main())
