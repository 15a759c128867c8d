"""``python -m radfollow.cli``."""

from radfollow.cli import main

main()
