"""``python -m radfollow``."""

from radfollow.cli import main

main()
