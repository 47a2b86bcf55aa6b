"""Static files in production, with or without `collectstatic`."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's hashed, compressed files once `collectstatic` has run, plain names before.

    Without a manifest (no `collectstatic` yet) Django's manifest storage fails every page
    that names a static file, the admin's login page among them (a 500). Here such a name
    stays as it is, and WhiteNoise serves it from the apps' static folders
    (`WHITENOISE_USE_FINDERS`). Once a manifest exists, a name missing from it is still an error.
    """

    def stored_name(self, name):
        if not self.hashed_files:
            return name
        return super().stored_name(name)
