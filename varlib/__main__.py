import sys

from varlib.cli import main

sys.exit(main())
