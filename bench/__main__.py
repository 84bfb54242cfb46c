"""python -m bench (make bench): see bench/__init__.py."""

from bench import main

raise SystemExit(main())
