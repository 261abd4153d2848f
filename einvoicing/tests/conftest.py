import pytest

from einvoicing.validation import warm_up


@pytest.fixture(scope="session", autouse=True)
def compiled_rules() -> None:
    """Compile the Schematron stylesheets and XSDs once for the whole test session."""
    warm_up()
