import sys

from .cli import main

# The guard matters: a spawned training process imports the parent's __main__ module again.
if __name__ == "__main__":
    sys.exit(main())
