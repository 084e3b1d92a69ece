"""moxhooks: bounce handling and suppression lists for the mox mail server."""

__version__ = "0.1.0"
