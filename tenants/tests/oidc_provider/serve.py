"""Run the test OpenID provider: `python -m tenants.tests.oidc_provider.serve --redirect-uri ...`.

Binds 127.0.0.1 on a port the kernel picks, then prints `READY <base url>` so the
harness knows where it listens. Needs DJANGO_SETTINGS_MODULE=tenants.tests.oidc_provider.settings
and OIDC_PROVIDER_STATE_DIR (a writable temporary directory).
"""

from __future__ import annotations

import argparse
import sys

import django
from django.core.management import call_command


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    for name in ("--client-id", "--client-secret", "--redirect-uri", "--email", "--password"):
        parser.add_argument(name, required=True)
    args = parser.parse_args(argv)

    django.setup()
    # "--name=value": call_command would pass keyword options as two tokens, and a random
    # secret starting with "-" would then read as an option.
    call_command(
        "bootstrap_provider",
        f"--client-id={args.client_id}",
        f"--client-secret={args.client_secret}",
        f"--redirect-uri={args.redirect_uri}",
        f"--email={args.email}",
        f"--password={args.password}",
    )

    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    server = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    server.set_app(get_wsgi_application())
    sys.stdout.write(f"READY http://127.0.0.1:{server.server_port}\n")
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
