"""radfollow: incidental findings and follow-up recommendations in radiology reports."""

__version__ = "0.1.0"
