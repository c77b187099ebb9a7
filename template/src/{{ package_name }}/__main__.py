# Template-owned: `copier update` maintains this file (see "Ownership" in README.md).
from .cli import main

raise SystemExit(main())
