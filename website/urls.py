"""The public site, mounted at the root."""

from django.contrib.sitemaps.views import sitemap
from django.urls import path

from website import views

urlpatterns = [
    # Visitors get the landing page; signed-in people their workspace.
    path("", views.home, name="home"),
    path("pricing/", views.pricing, name="pricing"),
    path("sitemap.xml", sitemap, {"sitemaps": views.SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
]
