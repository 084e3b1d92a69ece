"""The HTTP side: webhook intake, health, metrics, and (later) the JSON API and pages."""
