"""``python -m authsvc.cli``: the same command as the ``authsvc`` console script."""

from authsvc.cli import main

main()
