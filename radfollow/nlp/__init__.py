"""The spaCy/medspaCy pipeline. See docs/pipeline.md."""

from radfollow.nlp._defer_torch import import_spacy_without_torch

import_spacy_without_torch()
