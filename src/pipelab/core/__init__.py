"""The stage runtime and what it needs: every stage imports every module here.

dvc.yaml declares this package as one directory dependency of each stage instead of one entry per
file, which keeps DVC's up-to-date check fast; tests/integration/test_dvc_yaml.py checks that every
stage imports all of it, so nothing here re-runs a stage that does not use it.
"""
