"""Synthetic privacy data: images with known private content and ground-truth masks.

See `redactor/training/synth/README.md` for the on-disk layout the generator writes.
"""
