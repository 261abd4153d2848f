"""A throwaway OpenID Connect provider (django-oauth-toolkit) that the OAuth tests log in through."""
