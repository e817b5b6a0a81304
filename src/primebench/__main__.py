import sys

from primebench.cli import main

sys.exit(main())
