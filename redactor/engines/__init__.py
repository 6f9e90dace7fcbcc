"""Engines that run the batch redactor somewhere other than this machine's process pool.

The local engine (worker processes on this machine) is `redactor.batch`. Here:
- `storage`: files on local disk or any filesystem pyarrow opens (S3, GCS, HDFS, file://),
  planned with the same rules as the local run;
- `report_journal`: report.jsonl written as the run goes, and what earlier runs finished;
- `ray_engine`: `redact --engine ray` (Ray Data, one Redactor per actor).

Nothing here imports Ray or pyarrow at import time.
"""
