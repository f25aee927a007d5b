"""``python -m reports --schema [PATH]`` regenerates the committed report JSON Schema."""

from __future__ import annotations

from reports.json import main

raise SystemExit(main())
