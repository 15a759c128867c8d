"""HL7 feed listener: a durable MLLP server (docs/listener.md)."""
