"""Transformer classifier for follow-up recommendation sentences (offline, ONNX or torch)."""
