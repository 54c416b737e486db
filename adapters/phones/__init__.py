"""Phone numbers in any common notation, normalised to E.164 by Google's libphonenumber rules."""

from __future__ import annotations

import phonenumbers


class LibPhoneNumberParser:
    def __init__(self, default_region: str = "RU") -> None:
        # Numbers typed without a country code ("8 (495) 123-45-67") are read in this region.
        self._region = default_region

    def to_e164(self, raw: str) -> str | None:
        try:
            number = phonenumbers.parse(raw, self._region)
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_possible_number(number):
            return None
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
