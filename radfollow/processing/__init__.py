"""The one processing core: HL7 adapter -> NLP -> FHIR -> tracker write.

- ``core``: processing one report (:class:`~radfollow.processing.core.ReportProcessor`),
  used by ``radfollow process``, the listener's workers and the Spark job;
- ``checks``: refusing reports that can never be processed (no spaCy import);
- ``pool``: the NLP in worker processes, one failure per report;
- ``batch``: the ``process`` and ``extract`` jobs.

Nothing is imported here, so ``radfollow.processing.checks`` stays cheap.
"""
