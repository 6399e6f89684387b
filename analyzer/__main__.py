"""`python -m perfscan ...` runs the same CLI as the `perfscan` command."""

from perfscan.cli import main

if __name__ == "__main__":
    main()
