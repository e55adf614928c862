"""Helpers shared by the test modules, imported by bare name (`from support.problems import problem`):
pytest's `pythonpath = ["tests"]` puts this folder's parent on sys.path. Fixtures stay in conftest files."""
