from csdemand.cli import main

raise SystemExit(main())
