from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Fingerprinted, compressed names once `collectstatic` has run; plain names before that.

    `pocketmentor serve` collects before it starts; tests and a fresh checkout have not.
    """

    manifest_strict = False

    def hashed_name(self, name, content=None, filename=None):
        try:
            return super().hashed_name(name, content, filename)
        except ValueError:  # not collected yet: WhiteNoise serves it from the app folders
            return name
