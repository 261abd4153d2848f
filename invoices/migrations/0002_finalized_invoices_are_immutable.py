"""A database-level guard behind the services: a finalized invoice's content never changes.

PostgreSQL triggers refuse (1) an UPDATE of an invoice that is no longer a draft when it
touches anything but the derived fields (status, amounts paid/credited, balance, version,
timestamps), or sends it back to draft, and (2) INSERT or UPDATE of lines, line taxes and
tax totals of such an invoice. Deleting is left to PROTECT foreign keys and the services.
SQLite has no such guard; the services are the first wall everywhere.
"""

from django.db import migrations

IMMUTABLE_COLUMNS = [
    "tenant_id",
    "public_id",
    "kind",
    "credit_note_for_id",
    "client_id",
    "currency",
    "issue_date",
    "due_date",
    "number",
    "sequence",
    "number_period",
    "discount_type",
    "discount_value",
    "notes",
    "terms",
    "buyer_reference",
    "subtotal",
    "discount_amount",
    "tax_total",
    "total",
    "seller_snapshot",
    "client_snapshot",
    "finalized_at",
]

_old = ", ".join(f"OLD.{column}" for column in IMMUTABLE_COLUMNS)
_new = ", ".join(f"NEW.{column}" for column in IMMUTABLE_COLUMNS)

FORWARDS = [
    f"""
    CREATE OR REPLACE FUNCTION invoices_invoice_guard() RETURNS trigger AS $$
    BEGIN
        IF OLD.status <> 'draft' THEN
            IF NEW.status = 'draft' THEN
                RAISE EXCEPTION 'invoice % is finalized and cannot go back to draft', OLD.number
                    USING ERRCODE = 'check_violation';
            END IF;
            IF ROW({_new}) IS DISTINCT FROM ROW({_old}) THEN
                RAISE EXCEPTION 'invoice % is finalized: its content cannot change', OLD.number
                    USING ERRCODE = 'check_violation';
            END IF;
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    "DROP TRIGGER IF EXISTS invoices_invoice_guard ON invoices_invoice",
    """
    CREATE TRIGGER invoices_invoice_guard BEFORE UPDATE ON invoices_invoice
        FOR EACH ROW EXECUTE FUNCTION invoices_invoice_guard();
    """,
    """
    CREATE OR REPLACE FUNCTION invoices_child_guard() RETURNS trigger AS $$
    DECLARE
        parent_status text;
        parent_number text;
    BEGIN
        IF TG_TABLE_NAME = 'invoices_invoicelinetax' THEN
            SELECT i.status, i.number INTO parent_status, parent_number
              FROM invoices_invoice i JOIN invoices_invoiceline l ON l.invoice_id = i.id
             WHERE l.id = NEW.line_id;
        ELSE
            SELECT i.status, i.number INTO parent_status, parent_number
              FROM invoices_invoice i WHERE i.id = NEW.invoice_id;
        END IF;
        IF parent_status IS NOT NULL AND parent_status <> 'draft' THEN
            RAISE EXCEPTION 'invoice % is finalized: its lines and taxes cannot change', parent_number
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql;
    """,
    *[
        statement
        for table in ("invoices_invoiceline", "invoices_invoicelinetax", "invoices_invoicetaxtotal")
        for statement in (
            f"DROP TRIGGER IF EXISTS invoices_child_guard ON {table}",
            f"CREATE TRIGGER invoices_child_guard BEFORE INSERT OR UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION invoices_child_guard()",
        )
    ],
]

BACKWARDS = [
    "DROP TRIGGER IF EXISTS invoices_invoice_guard ON invoices_invoice",
    *[
        f"DROP TRIGGER IF EXISTS invoices_child_guard ON {table}"
        for table in ("invoices_invoiceline", "invoices_invoicelinetax", "invoices_invoicetaxtotal")
    ],
    "DROP FUNCTION IF EXISTS invoices_invoice_guard()",
    "DROP FUNCTION IF EXISTS invoices_child_guard()",
]


def _run(statements: list[str]):
    def run(apps, schema_editor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            # No parameters: PL/pgSQL uses % in RAISE messages, not a driver placeholder.
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("invoices", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARDS), _run(BACKWARDS), elidable=False)]
