from cqdfem.cli import main

raise SystemExit(main())
