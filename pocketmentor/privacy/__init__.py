"""A person's own data across the apps: the export, the erasure, and the person's pages.

Each app registers what it keeps about a person (`registry.py`); this package asks for it
and never imports the apps.
"""
