from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator


class EmailClaimsValidator(OAuth2Validator):
    """Puts the user's address in the ID token and the userinfo response, as a real IdP does.

    The base class filters these by scope (`email` needs the `email` scope, `name` needs
    `profile`), so a relying party that does not ask for them does not get them.
    """

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        return {
            "email": user.email,
            "email_verified": True,
            "name": user.get_full_name(),
            "given_name": user.first_name,
            "family_name": user.last_name,
            "preferred_username": user.get_username(),
        }
