import pytest
from django.test import Client


@pytest.mark.parametrize("provider", ["google", "github"])
def test_an_unconfigured_provider_is_a_404_not_a_crash(db: None, provider: str) -> None:
    client = Client()
    assert client.get(f"/accounts/{provider}/login/").status_code == 404
    assert client.post(f"/accounts/{provider}/login/").status_code == 404
