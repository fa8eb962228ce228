"""`choice_input` writes the same <input> as Django's widget template, escaping included."""

from django import forms

from pocketmentor.templatetags.pocketmentor import choice_input

CHOICES = [("a&b", "A & B"), ('"q"', "Quoted"), ("3", "<three>")]


class Choices(forms.Form):
    one = forms.ChoiceField(choices=CHOICES, widget=forms.RadioSelect)
    many = forms.MultipleChoiceField(choices=CHOICES, widget=forms.CheckboxSelectMultiple)
    optional = forms.ChoiceField(choices=CHOICES, widget=forms.RadioSelect, required=False)


def inputs(form: forms.Form) -> list[tuple[str, str]]:
    return [(str(c.tag()), str(choice_input(c))) for name in form.fields for c in form[name]]


def test_unbound_and_bound_choices_match_django():
    unbound = Choices(prefix="x", initial={"one": "3"})
    bound = Choices({"one": '"q"', "many": ["a&b", "3"]})
    pairs = inputs(unbound) + inputs(bound)
    assert len(pairs) == 18
    for django_says, ours in pairs:
        assert ours == django_says
    assert (
        '<input type="radio" name="one" value="&quot;q&quot;" id="id_one_1" required checked>'
        in [ours for _, ours in pairs]
    )
