from django.apps import AppConfig


class WebsiteConfig(AppConfig):
    """The public site: the home page, the landing and pricing pages, sitemap.xml, robots.txt."""

    name = "website"
    verbose_name = "Public website"
