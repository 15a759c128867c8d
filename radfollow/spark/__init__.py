"""The Spark batch job (``radfollow spark``): the processing core on Spark executors.

Import :mod:`radfollow.spark.job` for the driver side (needs ``pyspark``, the
``.[spark]`` extra); :mod:`radfollow.spark.tables` and
:mod:`radfollow.spark.settings` import no Spark.
"""
