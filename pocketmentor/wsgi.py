import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pocketmentor.settings")
application = get_wsgi_application()

from pocketmentor.lib.startup import warm_up  # noqa: E402 - once Django is set up

warm_up()
