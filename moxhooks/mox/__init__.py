"""The mox contract: its webapi, admin and account APIs, and its webhook payloads."""
