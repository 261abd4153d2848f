from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from tenants.admin_scoping import TenantOwnedAdmin
from tenants.models import AuthEvent, Invitation, Membership, Tenant, User

# The admin's own login form would check the password alone: no two-factor step, no login
# rate limit. Staff sign in through allauth like everyone else; a signed-in user who is not
# staff gets a 403 here instead of a second login form. (Runs at admin autodiscovery, before
# the admin's URLs are built.)
admin.site.login = secure_admin_login(admin.site.login)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "country", "default_currency", "created_at"]
    list_filter = ["country", "default_currency"]
    search_fields = ["name", "slug", "public_id"]
    readonly_fields = ["public_id", "created_at"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "role", "created_at"]
    list_filter = ["tenant", "role"]
    list_select_related = ["user", "tenant"]
    search_fields = ["user__email", "tenant__name", "tenant__slug"]
    autocomplete_fields = ["user", "tenant"]


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
    fields = ["at", "door", "outcome", "user", "address", "user_agent", "detail"]
    readonly_fields = fields
    show_full_result_count = False  # the table is large; an exact count on every page is not free

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuthEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuthEvent | None = None) -> bool:
        return False
