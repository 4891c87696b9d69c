"""The WSGI application for a production server, e.g.
``gunicorn groundup.web.wsgi:application`` (configured from the environment, like serve)."""

from django.core.wsgi import get_wsgi_application

from groundup.web.settings import configure_web

configure_web()
application = get_wsgi_application()
