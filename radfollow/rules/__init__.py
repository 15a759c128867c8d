"""Rule files (JSON data), their models (``schema``) and the one loader (``loader``).

Imports no spaCy: the tracker, the HL7 adapter and the FHIR mapping read
their rules from here too.
"""
