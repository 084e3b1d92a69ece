"""The mail knowledge: addresses as mox reads them, failure kinds from SMTP replies, bounce and complaint reports."""
