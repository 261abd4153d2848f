"""Accounts: the user model, allauth (email, two-factor, social and OIDC sign-in)."""

from __future__ import annotations

from .core import DEBUG
from .env import env_bool, env_str

AUTH_USER_MODEL = "tenants.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

ACCOUNT_ADAPTER = "tenants.adapters.AccountAdapter"
# Log in and reset passwords by the address's one spelling, whichever was typed (tenants/emails.py).
ACCOUNT_FORMS = {"login": "tenants.forms.LoginForm", "reset_password": "tenants.forms.ResetPasswordForm"}
ACCOUNT_ALLOW_SIGNUP = env_bool("ACCOUNT_ALLOW_SIGNUP", True)
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if not DEBUG else "http"
# allauth's defaults throttle sign-ups and resets; kept explicit so a reader sees them. Login
# failures are not allauth's: its "5/5m/key" was a lock anyone could set off for anyone. The
# sign-in guard (tenants/auth_guard.py) counts them for the web, its two-factor step and the API.
ACCOUNT_RATE_LIMITS = {
    "login_failed": None,
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
}

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# The code forms, behind the sign-in guard: a wrong code counts like a wrong password.
MFA_FORMS = {
    "authenticate": "tenants.mfa_forms.GuardedAuthenticateForm",
    "reauthenticate": "tenants.mfa_forms.GuardedReauthenticateForm",
}
MFA_TOTP_ISSUER = "InvoiceFlow"

SOCIALACCOUNT_ADAPTER = "tenants.adapters.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False


def _oauth_app(client_id_var: str, secret_var: str) -> list[dict]:
    client_id, secret = env_str(client_id_var), env_str(secret_var)
    return [{"client_id": client_id, "secret": secret, "key": ""}] if client_id and secret else []


# A provider whose client id and secret are not set has no app: its button is hidden.
SOCIALACCOUNT_PROVIDERS: dict[str, dict] = {
    "google": {
        "APPS": _oauth_app("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"),
        "SCOPE": ["openid", "email", "profile"],
        "OAUTH_PKCE_ENABLED": True,
    },
    "github": {
        "APPS": _oauth_app("GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET"),
        "SCOPE": ["user:email"],
    },
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": (
            [
                {
                    "provider_id": env_str("OIDC_PROVIDER_ID", "oidc"),
                    "name": env_str("OIDC_PROVIDER_NAME", "Single sign-on"),
                    "client_id": env_str("OIDC_CLIENT_ID"),
                    "secret": env_str("OIDC_CLIENT_SECRET"),
                    "settings": {"server_url": env_str("OIDC_SERVER_URL")},
                }
            ]
            if env_str("OIDC_CLIENT_ID") and env_str("OIDC_SERVER_URL")
            else []
        ),
    },
}
