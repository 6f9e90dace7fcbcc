"""Small derived data files the training code reads (a package so installs carry them).

- vispr_label_stats.json: VISPR label statistics (redactor/training/synth/statistics.py derives it).
- user_study_2a_{attr,img}.tsv: copies of VISPR's user-study ratings (Apache-2.0, see
  redactor/training/data/README.md), the source of the default privacy profile.
- sensitivity_proxies.tsv: which rated attribute stands in for each attribute the study did
  not rate (redactor/training/privacy_profile.py).
"""
