"""The error for TF 1.x names this package does not provide."""

DOC = "docs/python.md"


def module_getattr(tf_path):
    """A module __getattr__ (PEP 562) naming the missing `tf.<tf_path>.<name>`."""
    prefix = "tf." + tf_path + "." if tf_path else "tf."

    def __getattr__(name):
        if name.startswith("__") and name.endswith("__"):
            # Dunder lookups come from Python's machinery (import, pickle,
            # inspect), not from TF 1.x code: plain AttributeError.
            raise AttributeError(name)
        raise AttributeError("savedmodel.compat.v1 does not provide %s%s; %s lists the TensorFlow 1.x names "
                             "it provides" % (prefix, name, DOC))

    return __getattr__
