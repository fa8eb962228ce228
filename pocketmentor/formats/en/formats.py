"""English as organizations outside the United States read it: short dates year first.

Django's English writes 11/02/2026, which a reader in Norway takes for 11 February; the
year-first form cannot be misread. Longer dates ("Monday, November 2") stay as they are.
"""

SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
