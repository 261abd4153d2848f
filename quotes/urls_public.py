"""The client's quote page, mounted at /q/ (no login, no tenant in the URL)."""

from django.urls import path

from quotes import public

urlpatterns = [
    path("<str:token>", public.public_quote, name="public_quote"),
    path("<str:token>/answer", public.public_quote_answer, name="public_quote_answer"),
    path("<str:token>/pdf", public.public_quote_pdf, name="public_quote_pdf"),
]
