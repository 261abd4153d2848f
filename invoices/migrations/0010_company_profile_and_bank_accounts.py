# The seller's company profile and bank accounts (issue #16), both behind row-level security.

import django.db.models.deletion
import django.db.models.manager
import django.utils.timezone
from django.db import migrations, models

import invoices.models.seller
import tenants.models
import tenants.rls


class Migration(migrations.Migration):
    dependencies = [
        ("invoices", "0009_email_delivery_moves_to_its_own_app"),
        ("tenants", "0005_rls_for_memberships"),
    ]

    operations = [
        migrations.CreateModel(
            name="BankAccount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "public_id",
                    models.CharField(
                        default=invoices.models.seller._bank_account_id,
                        editable=False,
                        max_length=32,
                        unique=True,
                    ),
                ),
                ("label", models.CharField(blank=True, max_length=80, verbose_name="name")),
                ("holder_name", models.CharField(blank=True, max_length=140, verbose_name="account holder")),
                ("bank_name", models.CharField(blank=True, max_length=140, verbose_name="bank")),
                (
                    "country",
                    models.CharField(
                        max_length=2, validators=[tenants.models.validate_country], verbose_name="country"
                    ),
                ),
                (
                    "currency",
                    models.CharField(
                        max_length=3, validators=[tenants.models.validate_currency], verbose_name="currency"
                    ),
                ),
                ("iban", models.CharField(blank=True, max_length=34, verbose_name="IBAN")),
                ("bic", models.CharField(blank=True, max_length=11, verbose_name="BIC")),
                (
                    "account_number",
                    models.CharField(blank=True, max_length=34, verbose_name="account number"),
                ),
                (
                    "routing_code",
                    models.CharField(blank=True, max_length=20, verbose_name="routing / sort code"),
                ),
                (
                    "payment_means",
                    models.CharField(
                        choices=[
                            ("30", "Credit transfer"),
                            ("42", "Payment to bank account"),
                            ("58", "SEPA credit transfer"),
                        ],
                        default="30",
                        max_length=3,
                        verbose_name="payment means",
                    ),
                ),
                ("is_default", models.BooleanField(default=False, verbose_name="default for its currency")),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "tenant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="tenants.tenant"
                    ),
                ),
            ],
            options={
                "ordering": ["currency", "-is_default", "created_at"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("is_default", True)),
                        fields=("tenant", "currency"),
                        name="bank_account_one_default",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("iban", ""), _negated=True),
                            models.Q(
                                models.Q(("account_number", ""), _negated=True),
                                models.Q(("routing_code", ""), _negated=True),
                            ),
                            _connector="OR",
                        ),
                        name="bank_account_has_a_number",
                    ),
                ],
            },
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("unscoped_across_tenants", django.db.models.manager.Manager()),
            ],
        ),
        migrations.CreateModel(
            name="CompanyProfile",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("legal_name", models.CharField(blank=True, max_length=200, verbose_name="legal name")),
                ("trading_name", models.CharField(blank=True, max_length=200, verbose_name="trading name")),
                ("address_line1", models.CharField(blank=True, max_length=200, verbose_name="address")),
                (
                    "address_line2",
                    models.CharField(blank=True, max_length=200, verbose_name="address line 2"),
                ),
                ("postal_code", models.CharField(blank=True, max_length=20, verbose_name="postcode")),
                ("city", models.CharField(blank=True, max_length=100, verbose_name="city")),
                ("region", models.CharField(blank=True, max_length=100, verbose_name="region / state")),
                (
                    "country",
                    models.CharField(
                        max_length=2, validators=[tenants.models.validate_country], verbose_name="country"
                    ),
                ),
                ("vat_id", models.CharField(blank=True, max_length=40, verbose_name="VAT number")),
                (
                    "registration_scheme",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("FR:SIREN", "FR:SIREN — SIREN"),
                            ("FR:SIRET", "FR:SIRET — SIRET"),
                            ("CH:UID", "CH:UID — UID (Unternehmens-Identifikationsnummer)"),
                            ("DK:CVR", "DK:CVR — CVR-nummer"),
                            ("DE:HRN", "DE:HRN — Handelsregisternummer"),
                            ("IT:CF", "IT:CF — Codice fiscale"),
                            ("ES:NIF", "ES:NIF — NIF"),
                            ("BE:NN", "BE:NN — Ondernemingsnummer / numéro d'entreprise"),
                            ("GB:UTR", "GB:UTR — Unique Taxpayer Reference"),
                            ("US:EIN", "US:EIN — Employer Identification Number"),
                            ("CA:BN", "CA:BN — Business Number"),
                            ("AU:ABN", "AU:ABN — Australian Business Number"),
                        ],
                        max_length=16,
                        verbose_name="registration scheme",
                    ),
                ),
                (
                    "registration_number",
                    models.CharField(blank=True, max_length=40, verbose_name="registration number"),
                ),
                ("email", models.EmailField(blank=True, max_length=254, verbose_name="contact email")),
                ("phone", models.CharField(blank=True, max_length=40, verbose_name="phone")),
                ("website", models.URLField(blank=True, verbose_name="website")),
                (
                    "legal_mentions",
                    models.TextField(
                        blank=True,
                        help_text="What your country asks every invoice to say, e.g. share capital and RCS, or “TVA non applicable, art. 293 B du CGI”.",
                        max_length=2000,
                        verbose_name="legal mentions",
                    ),
                ),
                (
                    "default_notes",
                    models.TextField(blank=True, max_length=5000, verbose_name="default notes"),
                ),
                (
                    "default_terms",
                    models.TextField(blank=True, max_length=5000, verbose_name="default terms"),
                ),
                ("footer", models.CharField(blank=True, max_length=300, verbose_name="footer")),
                (
                    "payment_terms_days",
                    models.PositiveSmallIntegerField(default=30, verbose_name="payment terms (days)"),
                ),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "tenant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="tenants.tenant"
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("tenant",), name="company_profile_one_per_tenant")
                ],
            },
            managers=[
                ("objects", django.db.models.manager.Manager()),
                ("unscoped_across_tenants", django.db.models.manager.Manager()),
            ],
        ),
        tenants.rls.EnableRowLevelSecurity(model_name="companyprofile"),
        tenants.rls.EnableRowLevelSecurity(model_name="bankaccount"),
    ]
