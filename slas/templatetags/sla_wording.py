"""``{{ commitment|commitment_sentence:sla.currency }}``: a commitment as one readable sentence."""

from django import template

from slas.wording import describe_commitment

register = template.Library()


@register.filter
def commitment_sentence(commitment, currency: str = ""):
    return describe_commitment(commitment.canonical(), currency)
