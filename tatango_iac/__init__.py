"""tatango-iac: configuration-as-code for the Tatango SMS marketing platform."""

__version__ = "0.2.0"
