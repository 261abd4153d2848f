"""Helpers shared by the API's viewsets."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from rest_framework import status
from rest_framework.response import Response

from api.errors import error_body


def created(data: Any, *, url_name: str, public_id: str) -> Response:
    """201 with the new resource's address in Location."""
    return Response(
        data,
        status=status.HTTP_201_CREATED,
        headers={"Location": reverse(url_name, kwargs={"id": public_id})},
    )


def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    return JsonResponse(error_body("not_found", "No such API endpoint."), status=404)
