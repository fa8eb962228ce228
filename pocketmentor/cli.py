"""The `pocketmentor` command: Django's management commands, with dashed names allowed.

A configuration error stops it with one line on stderr, `pocketmentor: VARIABLE …`, and exit
status 2, never a traceback: the operator needs the variable, not our call stack.
"""

import os
import sys

from django.core.exceptions import ImproperlyConfigured


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pocketmentor.settings")
    from django.conf import settings
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")  # `pocketmentor login-link` runs login_link
    try:
        settings.INSTALLED_APPS  # noqa: B018 - reads the settings, which check the environment
        execute_from_command_line(argv)
    except ImproperlyConfigured as error:
        sys.stderr.write(f"pocketmentor: {' '.join(str(error).split())}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
