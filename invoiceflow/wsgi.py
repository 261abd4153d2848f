import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invoiceflow.settings")
application = get_wsgi_application()

# The e-invoice rule sets compile in the background (~7 s): the process serves at once and its
# first e-invoice panel finds them ready (einvoicing.validation.compile_in_background).
from einvoicing.validation import compile_in_background  # noqa: E402

compile_in_background()
