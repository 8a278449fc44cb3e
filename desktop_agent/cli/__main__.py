import sys

from desktop_agent.cli.main import main

sys.exit(main())
