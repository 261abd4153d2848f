"""Writes for client contacts: the people invoices and quotes go to.

One contact per client is primary (a partial unique index says so). Making a contact primary
demotes the previous one in the same transaction, the client's row locked so that two
members promoting two contacts at once queue instead of tripping the index.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.errors import ApplicationError
from invoices.models import Client, ClientContact
from invoices.services.common import check_writer, full_clean, resolve
from tenants.models import Membership

CONTACT_FIELDS = ("name", "email", "phone", "role", "language")


def _lock_client(client: Client | str) -> Client:
    return resolve(Client, client, field="client", label=_("client"), lock=True)


def _apply(contact: ClientContact, fields: dict[str, object]) -> None:
    unknown = set(fields) - set(CONTACT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown contact fields: {sorted(unknown)}")
    for name, value in fields.items():
        value = str(value or "").strip()
        if name == "email":
            value = value.lower()
        setattr(contact, name, value)
    if not contact.name:
        raise ApplicationError(_("Enter the contact's name."), field="name")


def _save(contact: ClientContact) -> None:
    full_clean(contact, exclude=["client"])
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError as error:
        if "email" in str(error):
            raise ApplicationError(
                _("%(email)s is already a contact of this client.") % {"email": contact.email},
                field="email",
                code="duplicate",
            ) from error
        raise


def _promote(contact: ClientContact) -> None:
    ClientContact.objects.filter(client_id=contact.client_id, is_primary=True).exclude(pk=contact.pk).update(
        is_primary=False
    )
    contact.is_primary = True


@transaction.atomic
def contact_create(
    *, actor: Membership, client: Client | str, primary: bool = False, **fields: object
) -> ClientContact:
    """Add a person to a client. The first contact of a client is its primary one."""
    check_writer(actor)
    client = _lock_client(client)
    contact = ClientContact(tenant=client.tenant, client=client)
    _apply(contact, fields)
    if primary or not ClientContact.objects.filter(client=client, is_primary=True).exists():
        _promote(contact)
    _save(contact)
    return contact


def _contact(contact: ClientContact | str) -> ClientContact:
    return resolve(ClientContact, contact, field="contact", label=_("contact"), lock=True)


@transaction.atomic
def contact_update(*, actor: Membership, contact: ClientContact | str, **fields: object) -> ClientContact:
    check_writer(actor)
    contact = _contact(contact)
    _lock_client(contact.client)
    _apply(contact, fields)
    _save(contact)
    return contact


@transaction.atomic
def contact_make_primary(*, actor: Membership, contact: ClientContact | str) -> ClientContact:
    check_writer(actor)
    contact = _contact(contact)
    _lock_client(contact.client)
    _promote(contact)
    contact.save(update_fields=["is_primary"])
    return contact


@transaction.atomic
def contact_delete(*, actor: Membership, contact: ClientContact | str) -> ClientContact:
    """Remove a contact; when it was the primary one, the next contact (by name) takes over."""
    check_writer(actor)
    contact = _contact(contact)
    client = _lock_client(contact.client)
    was_primary = contact.is_primary
    contact.delete()
    if was_primary:
        successor = ClientContact.objects.filter(client=client).order_by("name", "pk").first()
        if successor is not None:
            _promote(successor)
            successor.save(update_fields=["is_primary"])
    return contact


def contacts_resolve(*, client: Client, contacts: Sequence[ClientContact | str]) -> list[ClientContact]:
    """The given contacts (public ids or instances) of `client`, in the given order. Another
    client's contact (or another workspace's) is "not found", like a missing one."""
    found = []
    for value in contacts:
        contact = resolve(ClientContact, value, field="contacts", label=_("contact"))
        if contact.client_id != client.pk:
            raise ApplicationError(_("No such contact."), field="contacts", code="not_found")
        found.append(contact)
    return found


def default_contacts(client: Client) -> list[ClientContact]:
    """Whom an email goes to when nobody is chosen: the primary contact."""
    return list(ClientContact.objects.filter(client=client, is_primary=True))
