"""Text fields of the API take JSON strings only (issue 15: the schema says what is accepted)."""

from __future__ import annotations

from rest_framework import serializers


def refuse_numbers_for_text() -> None:
    """Text fields take JSON strings only: the schema says ``string``, so ``"phone": 612345678``
    is a 400 rather than silently turned into text (DRF's ``CharField`` accepts numbers).

    Called once from ``SmarketingConfig.ready()``; covers every text field of every serializer
    (``CharField`` and its subclasses: e-mail, URL, regex, slug). Form posts are text already.
    """
    if getattr(serializers.CharField, "_smk_strict", False):
        return
    accept = serializers.CharField.to_internal_value

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        # The schema's maxLength bounds the string sent, before DRF trims its whitespace.
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return accept(self, data)

    serializers.CharField.to_internal_value = to_internal_value
    serializers.CharField._smk_strict = True
