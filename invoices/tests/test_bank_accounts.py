"""Bank accounts: IBAN/BIC by schwifty, national account + routing code where there is no IBAN."""

from __future__ import annotations

import pytest

from core.errors import ApplicationError
from invoices.bank_accounts import validate_bank_account


def test_iban_with_bic() -> None:
    account = validate_bank_account("DE", iban="de89 3704 0044 0532 0130 00", bic="COBADEFFXXX")
    assert (account.country, account.iban, account.bic) == ("DE", "DE89370400440532013000", "COBADEFFXXX")
    assert account.display == "DE89 3704 0044 0532 0130 00"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"iban": "DE89370400440532013001"}, "iban"),  # checksum
        ({"iban": "DE8937040044053201300"}, "iban"),  # length
        ({"iban": "XX89370400440532013000"}, "iban"),  # no such country
        ({"iban": "DE89370400440532013000", "bic": "COBADEF"}, "bic"),  # 7 characters
        ({"iban": "DE89370400440532013000", "bic": "BNPAFRPPXXX"}, "bic"),  # a French bank
    ],
)
def test_bad_ibans_and_bics(kwargs: dict, field: str) -> None:
    with pytest.raises(ApplicationError) as error:
        validate_bank_account("DE", **kwargs)
    assert error.value.field == field


@pytest.mark.parametrize(
    ("country", "routing", "account"),
    [
        ("US", "011000015", "123456789"),  # ABA number of the Federal Reserve Bank of Boston
        ("GB", "20-00-00", "55779911"),  # sort code + 8-digit account
        ("CA", "00011-001", "1234567"),  # transit + institution, 7-digit account
        ("AU", "062-000", "12345678"),  # BSB + account
    ],
)
def test_national_accounts(country: str, routing: str, account: str) -> None:
    checked = validate_bank_account(country, routing_code=routing, account_number=account)
    assert checked.routing_code.isdigit()
    assert checked.account_number == account


@pytest.mark.parametrize(
    ("country", "routing", "account", "field"),
    [
        ("US", "011000016", "123456789", "routing_code"),  # ABA check digit
        ("US", "01100001", "123456789", "routing_code"),
        ("GB", "200000", "5577991", "account_number"),
        ("CA", "00011", "1234567", "routing_code"),
        ("AU", "062000", "1234", "account_number"),
        ("FR", "30004", "12345678901", "iban"),  # France has IBANs: no national form
    ],
)
def test_bad_national_accounts(country: str, routing: str, account: str, field: str) -> None:
    with pytest.raises(ApplicationError) as error:
        validate_bank_account(country, routing_code=routing, account_number=account)
    assert error.value.field == field
