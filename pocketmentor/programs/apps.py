from django.apps import AppConfig


class Config(AppConfig):
    name = "pocketmentor.programs"
    label = "programs"

    def ready(self):
        import pocketmentor.programs.jobs  # noqa: F401 - its periodic job, for the worker
        from pocketmentor.orgs import permissions
        from pocketmentor.programs import lookup

        # Staff pages under /studio/<org>/p/<program>/ get the program, found in the org.
        permissions.url_parts["program"] = lookup.program_of
