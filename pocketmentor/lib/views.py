"""Marks on views that other layers read."""


def reads_only(view):
    """Mark a studio view whose POSTs change nothing (a preview): participants' kept pages
    stay (learning/pages.py)."""
    view.reads_only = True
    return view
