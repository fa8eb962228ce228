"""`{% personal "name" %}…{% endpersonal %}`: what a page shows of one person only.

A page is rendered once for everyone as a shell (learning/pages.py `assembled`), each personal
part left as a mark; each person's parts are then rendered alone and put in its place.
Anywhere else the tag renders what it holds, as if it were not there.
"""

import functools

from django import template
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString

register = template.Library()

PARTS = "personal_parts"  # in the context while a shell is rendered


class PersonalNode(template.Node):
    child_nodelists = ("nodelist",)

    def __init__(self, name: str, nodelist: template.NodeList):
        self.name, self.nodelist = name, nodelist

    def render(self, context) -> str:
        if context.get(PARTS) is not None:
            return f"\0part:{self.name}\0"
        return self.nodelist.render(context)


@register.tag
def personal(parser, token) -> PersonalNode:
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError('personal takes one quoted name: {% personal "x" %}')
    nodelist = parser.parse(("endpersonal",))
    parser.delete_first_token()
    return PersonalNode(bits[1][1:-1], nodelist)


@register.simple_tag
def meter(done: int, total: int, *, oob: bool = False) -> SafeString:
    """The unit's "2 of 4 activities done", rendered once per count, language and way of
    sending: a participant's first view rendered it each time (0.13 ms of 4)."""
    return _meter(translation.get_language(), done, total, oob)


@functools.lru_cache(maxsize=1024)
def _meter(language: str | None, done: int, total: int, oob: bool) -> SafeString:
    context = {"done": done, "total": total, "oob": oob}
    return render_to_string("learning/_meter.html", context)


@register.simple_tag
def group_line(name: str, program) -> SafeString:
    """ "Your group: …" with the link to what it shared, rendered once per group name,
    program and language, and kept by each process, as the meter."""
    return _group_line(translation.get_language(), name, program.organization.slug, program.slug)


@functools.lru_cache(maxsize=1024)
def _group_line(language: str | None, name: str, org: str, program: str) -> SafeString:
    context = {"name": name, "org": org, "program": program}
    return render_to_string("learning/_group_line.html", context)
