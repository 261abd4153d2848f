from typing import Any

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from tenants.admin_scoping import TenantOwnedAdmin, in_tenant_of_filter
from tenants.models import AuthEvent, Invitation, Membership, Tenant, User
from tenants.scoping import tenant_scope
from tenants.services import user_delete

USER_TENANT_PARAM = "memberships__tenant__id__exact"

# The admin's own login form would check the password alone: no two-factor step, no login
# rate limit. Staff sign in through allauth like everyone else; a signed-in user who is not
# staff gets a 403 here instead of a second login form. (Runs at admin autodiscovery, before
# the admin's URLs are built.) This is allauth's documented recipe: it replaces the bound
# method on this one site, which mypy refuses for any method.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    """A workspace's page, with its memberships inline: the page runs inside the workspace's
    scope, where row-level security shows (and lets staff edit) its memberships and lets the
    deletion reach every row of the workspace."""

    list_display = ["name", "url_slug", "country", "default_currency", "created_at"]
    list_filter = ["country", "default_currency"]
    search_fields = ["name", "slug", "public_id"]
    readonly_fields = ["public_id", "created_at"]
    inlines = [MembershipInline]

    @admin.display(description=_("slug (in its URLs)"), ordering="slug")
    def url_slug(self, tenant: Tenant) -> str:
        return tenant.slug

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # The model calls the slug "address" for the people who choose it (their workspace's
        # address); staff need to know it is the slug in /t/<slug>/.
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "slug" and field is not None:
            field.label = _("Slug (in its URLs: /t/<slug>/)")
        return field

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> tuple[Any, Any, set[str], Any]:
        # Deleting a workspace takes every row it owns. The read-only admins of its tenant-owned
        # models (which let staff delete nothing one row at a time) must not stand in the way,
        # or any workspace with a company profile could not be deleted at all.
        deleted, model_count, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, model_count, set(), protected

    def _in_tenant(self, object_id: str, view: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        tenant = Tenant.objects.filter(pk=object_id).first() if str(object_id).isdigit() else None
        if tenant is None:
            return view(*args, **kwargs)
        with tenant_scope(tenant):
            response = view(*args, **kwargs)
            if hasattr(response, "render"):
                response.render()
            return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        view = super().change_view
        return self._in_tenant(object_id, view, request, object_id, form_url, extra_context)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        return self._in_tenant(object_id, super().delete_view, request, object_id, extra_context)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        # "Delete selected": each workspace inside its own scope, so its rows go with it.
        for tenant in queryset:
            with tenant_scope(tenant):
                tenant.delete()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # A workspace made here gets its first memberships inside its own scope.
        with tenant_scope(form.instance):
            super().save_related(request, form, formsets, change)


@admin.register(Membership)
class MembershipAdmin(TenantOwnedAdmin):
    """One workspace at a time; memberships are edited on their workspace's page. Deleting one
    (or its whole workspace, which takes them along) stays allowed, as it was."""

    list_display = ["user", "tenant", "role", "created_at"]
    list_filter = ("tenant", "role")
    list_select_related = ["user", "tenant"]
    search_fields = ["user__email"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return admin.ModelAdmin.has_delete_permission(self, request, obj)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "memberships__tenant"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["full_name", "last_tenant"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    readonly_fields = ["last_login", "date_joined"]
    raw_id_fields = ["last_tenant"]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        # "By tenant" filters through memberships, which only that workspace's scope shows.
        return in_tenant_of_filter(request, USER_TENANT_PARAM, super().changelist_view, extra_context)

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        user_delete(user=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            user_delete(user=user)


@admin.register(Invitation)
class InvitationAdmin(TenantOwnedAdmin):
    list_display = ["email", "tenant", "role", "state", "created_at", "expires_at"]
    search_fields = ["email"]
    fields = [
        "email",
        "role",
        "invited_by",
        "created_at",
        "sent_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]


@admin.register(AuthEvent)
class AuthEventAdmin(admin.ModelAdmin):
    """The sign-in audit: read-only, written by tenants/auth_guard.py alone."""

    list_display = ["at", "door", "outcome", "user", "address", "detail"]
    list_filter = ["door", "outcome", "at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "address", "detail"]
    date_hierarchy = "at"
    fields = ("at", "door", "outcome", "user", "address", "user_agent", "detail")
    readonly_fields = fields
    show_full_result_count = False  # the table is large; an exact count on every page is not free

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuthEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuthEvent | None = None) -> bool:
        return False
