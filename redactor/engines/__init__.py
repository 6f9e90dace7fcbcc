"""Engines that run the batch redactor somewhere other than this machine's process pool, and
the file layer every engine shares.

The planner and the run loop are `redactor.batch` (`plan_batch`, `redact`), with the local
runner (this process or a pool of processes). Here:
- `storage`: files on local disk or any filesystem pyarrow opens (S3, GCS, HDFS, file://), the
  one filesystem interface the planner lists and checks through;
- `report_journal`: report.jsonl written as the run goes, and rewritten in input order;
- `ray_engine`: `redact --engine ray` (`RayRunner`: Ray Data, one Redactor per actor).

Nothing here imports Ray or pyarrow at import time.
"""
