"""InvoiceFlow settings, read from the environment: one small module per concern.

With nothing set the app runs embedded: SQLite, local media, console email, in-process
tasks and a local-memory cache. Each variable switches one part to the real service, and
every variable is documented in `.env.example`. `DJANGO_SETTINGS_MODULE=invoiceflow.settings`
reads this package, which gathers the modules below in order (a later one may read an
earlier one's values; they import each other relatively, so a test can execute the whole
package afresh under another name, see tenants/tests/test_oidc.py).
"""

from .env import *
from .core import *
from .database import *
from .cache import *
from .tasks import *
from .auth import *
from .email import *
from .payments import *
from .storage import *
from .security import *
from .api import *

# Last: Sentry starts once everything else is configured.
from .observability import *
