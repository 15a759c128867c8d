"""The HL7 fuzz harness behind ``benchmarks/fuzz_hl7.py``: mutators and the runner."""
