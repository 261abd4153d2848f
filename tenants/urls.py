from django.urls import path

from tenants import views

# Mounted under /t/<tenant_slug>/ : TenantMiddleware has already checked membership.
tenant_urlpatterns = [
    path("members/", views.members, name="members"),
    path("members/invite/", views.member_invite, name="member_invite"),
    path("members/<str:public_id>/role/", views.member_role, name="member_role"),
    path("members/<str:public_id>/remove/", views.member_remove, name="member_remove"),
    path("invitations/<str:public_id>/resend/", views.invitation_resend, name="invitation_resend"),
    path("invitations/<str:public_id>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("settings/", views.tenant_settings, name="tenant_settings"),
    path("settings/branding/", views.tenant_branding, name="tenant_branding"),
    path("settings/branding/logo/remove/", views.tenant_logo_remove, name="tenant_logo_remove"),
]

urlpatterns = [
    path("workspaces/new/", views.tenant_create, name="tenant_create"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
